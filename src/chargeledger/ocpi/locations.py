"""The operator's sites, EVSEs and connectors as OCPI 2.2.1 Locations (one per site), for one partner.

A site without coordinates is not published: Location.coordinates is required, and a made-up point would send
drivers to the wrong place. Voltage and amperage are derived from the connector's rated power and phases (230 V per
AC phase; DC at 400 V nominal), as the registry does not keep them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..roaming.cdr_model import alpha3
from ..roaming.ocpi.cdr import CONNECTOR_STANDARD
from ..storage.tables import connectors, evse_states, evses, sites, stations
from .numbers import wire
from .objects.locations import Location, Status
from .partners import Partner

CAPABILITIES = ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE", "RFID_READER"]


def _coordinate(value: Any) -> str:
    return f"{Decimal(value).quantize(Decimal('0.000001')):f}"


def _connector(row) -> dict[str, Any]:
    kw = Decimal(row.rated_kw)
    dc = row.current_type == "DC"
    phases = 1 if dc else max(int(row.phases or 1), 1)
    voltage = 400 if dc else 230
    return {"id": str(row.connector_id), "standard": CONNECTOR_STANDARD.get(row.standard, "IEC_62196_T2"),
            "format": "CABLE" if dc else "SOCKET",
            "power_type": "DC" if dc else ("AC_3_PHASE" if phases == 3 else f"AC_{phases}_PHASE"),  # noqa: PLR2004
            "max_voltage": voltage, "max_amperage": int(kw * 1000 / (voltage * phases)),
            "max_electric_power": int(kw * 1000), "last_updated": row.updated_at}


def _evse(rows: list) -> dict[str, Any]:
    first = rows[0]
    return {"uid": first.evse_id, "evse_id": first.evse_id, "status": first.status,
            "capabilities": CAPABILITIES, "connectors": [_connector(r) for r in rows],
            "physical_reference": str(first.ocpp_evse_id), "last_updated": first.updated_at}


def locations(conn: Connection, partner: Partner, location_id: str | None = None) -> list[dict[str, Any]]:
    """Every published Location of the partner's organisation (or just one), validated, ready for the wire."""
    query = (select(sites, evses.c.evse_id, evses.c.ocpp_evse_id, connectors.c.connector_id, connectors.c.standard,
                    connectors.c.current_type, connectors.c.rated_kw, connectors.c.phases, evse_states.c.status,
                    evse_states.c.updated_at)
             .join(stations, stations.c.site_id == sites.c.id).join(evses, evses.c.station_id == stations.c.id)
             .join(connectors, connectors.c.evse_id == evses.c.evse_id)
             .join(evse_states, evse_states.c.evse_id == evses.c.evse_id)
             .where(sites.c.organisation_id == partner.organisation_id, sites.c.latitude.is_not(None),
                    sites.c.longitude.is_not(None))
             .order_by(sites.c.id, evses.c.evse_id, connectors.c.connector_id))
    if location_id is not None:
        query = query.where(sites.c.id == location_id)
    by_site: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    site_rows = {}
    for row in conn.execute(query):
        by_site[row.id][row.evse_id].append(row)
        site_rows[row.id] = row
    return [_location(partner, site_rows[site], [_evse(rows) for rows in evse_rows.values()])
            for site, evse_rows in by_site.items()]


def _location(partner: Partner, site, evse_list: list[dict[str, Any]]) -> dict[str, Any]:
    location = {
        "country_code": partner.our_country_code, "party_id": partner.our_party_id, "id": site.id, "publish": True,
        "name": site.name, "address": site.address[:45], "city": site.city[:45],
        "postal_code": site.zip_code or None, "state": site.state, "country": alpha3(site.country) or site.country,
        "coordinates": {"latitude": _coordinate(site.latitude), "longitude": _coordinate(site.longitude)},
        "evses": evse_list, "time_zone": site.time_zone,
        "last_updated": max(e["last_updated"] for e in evse_list),
    }
    Location.model_validate(location)
    return wire(location)


def evse_patch(conn: Connection, partner: Partner, evse_id: str) -> tuple[str, dict[str, Any], str] | None:
    """The path and body of a PATCH telling the partner one EVSE's new status, and the EVSE's location; None if it
    is not published."""
    row = conn.execute(select(sites.c.id, sites.c.latitude, evse_states.c.status, evse_states.c.updated_at)
                       .join(stations, stations.c.site_id == sites.c.id)
                       .join(evses, evses.c.station_id == stations.c.id)
                       .join(evse_states, evse_states.c.evse_id == evses.c.evse_id)
                       .where(evses.c.evse_id == evse_id)).first()
    if row is None or row.latitude is None:
        return None
    body = {"status": Status(row.status).value, "last_updated": row.updated_at}  # a PATCH: only what changed
    return f"/{partner.our_country_code}/{partner.our_party_id}/{row.id}/{evse_id}", wire(body), row.id
