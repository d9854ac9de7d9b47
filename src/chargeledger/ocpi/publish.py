"""What each registered partner is sent when the operator's network or tariffs change: queued in the transaction of
the change (directory/changes.py), delivered by the push queue.

- an EVSE's status: PATCH of that EVSE (status, last_updated) on the partner's locations endpoint;
- a station added to a site: PUT of the whole Location;
- a tariff stored (a new version): PUT of the Tariff;
- a tariff withdrawn: DELETE of the Tariff (2.2.1 tariffs module: no longer used, and will not be).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..directory import changes
from ..storage.tables import ocpi_partners
from ..tariffs import store as tariff_store
from . import partners as store
from .locations import evse_patch, locations
from .queue import enqueue
from .tariffs import tariff_object


def receivers(conn: Connection, organisation_id: str, module: str) -> list[store.Partner]:
    """The organisation's registered partners that receive this module."""
    rows = conn.execute(select(ocpi_partners).where(ocpi_partners.c.organisation_id == organisation_id,
                                                    ocpi_partners.c.status == store.REGISTERED))
    found = [store.to_partner(r) for r in rows]
    return [p for p in found if p.endpoint(module)]


def on_change(conn: Connection, change: changes.Change) -> None:
    if change.kind == changes.EVSE_STATUS:
        for partner in receivers(conn, change.organisation_id, "locations"):
            patch = evse_patch(conn, partner, change.object_id)
            if patch is not None:  # in the lane of its location, so it never overtakes the location's PUT
                enqueue(conn, partner.id, "locations", change.object_id, "PATCH", patch[0], patch[1],
                        group=f"location:{patch[2]}")
    elif change.kind == changes.LOCATION:
        for partner in receivers(conn, change.organisation_id, "locations"):
            for location in locations(conn, partner, change.object_id):
                enqueue(conn, partner.id, "locations", location["id"], "PUT",
                        f"/{partner.our_country_code}/{partner.our_party_id}/{location['id']}", location,
                        group=f"location:{location['id']}")
    elif change.kind == changes.TARIFF:
        stored = tariff_store.newest(conn, change.object_id)
        for partner in receivers(conn, change.organisation_id, "tariffs") if stored else ():
            enqueue(conn, partner.id, "tariffs", stored.tariff_id, "PUT",
                    f"/{partner.our_country_code}/{partner.our_party_id}/{stored.tariff_id}",
                    tariff_object(partner, stored), group=f"tariff:{stored.tariff_id}")
    elif change.kind == changes.TARIFF_WITHDRAWN:
        for partner in receivers(conn, change.organisation_id, "tariffs"):
            enqueue(conn, partner.id, "tariffs", change.object_id, "DELETE",
                    f"/{partner.our_country_code}/{partner.our_party_id}/{change.object_id}", None,
                    group=f"tariff:{change.object_id}")


changes.listen(on_change)
