"""Parties behind a hub, as the hub tells us (hubclientinfo module, we are the Receiver): who is there, in which
role, and whether it is connected. Pushes to such a party go to the hub with that party in their OCPI-to-* headers
(queue.route_of); when the hub says a party is CONNECTED again, its waiting pushes are sent at once instead of at
their next backoff.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from ..storage.tables import ocpi_client_info, ocpi_pushes
from .models import ClientInfo, ConnectionStatus
from .numbers import wire

CONNECTED = ConnectionStatus.CONNECTED.value


def _key(partner_id: int, country_code: str, party_id: str, role: str | None = None):
    c = ocpi_client_info.c
    where = [c.partner_id == partner_id, c.country_code == country_code.upper(), c.party_id == party_id.upper()]
    return where + ([c.role == role] if role else [])


def put(conn: Connection, partner_id: int, info: ClientInfo) -> bool:
    """Store what the hub says (an older last_updated than ours changes nothing); True when the party came back."""
    values = {"status": info.status, "last_updated": info.last_updated.astimezone(timezone.utc)}
    row = conn.execute(select(ocpi_client_info).where(*_key(partner_id, info.country_code, info.party_id,
                                                            info.role))).first()
    if row is not None and row.last_updated > values["last_updated"]:
        return False
    if row is None:
        conn.execute(insert(ocpi_client_info).values(partner_id=partner_id, country_code=info.country_code.upper(),
                                                     party_id=info.party_id.upper(), role=info.role, **values))
    else:
        conn.execute(update(ocpi_client_info).where(ocpi_client_info.c.id == row.id).values(**values))
    back = info.status == CONNECTED and (row is None or row.status != CONNECTED)
    if back:
        q = ocpi_pushes.c
        conn.execute(update(ocpi_pushes).where(q.partner_id == partner_id, q.state == "pending",
                                               q.to_country_code == info.country_code.upper(),
                                               q.to_party_id == info.party_id.upper())
                     .values(next_attempt_at=datetime.now(timezone.utc)))
    return back


def _object(row) -> dict[str, Any]:
    return wire({"party_id": row.party_id, "country_code": row.country_code, "role": row.role,
                 "status": row.status, "last_updated": row.last_updated})


def get(engine: Engine, partner_id: int, country_code: str, party_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(ocpi_client_info).where(*_key(partner_id, country_code, party_id))
                           .order_by(ocpi_client_info.c.last_updated.desc())).first()
    return _object(row) if row else None


def parties(engine: Engine) -> dict[int, list[dict[str, Any]]]:
    """Every hub's parties, by hub (partner id): for the operator's partner list."""
    found: dict[int, list[dict[str, Any]]] = {}
    c = ocpi_client_info.c
    with engine.connect() as conn:
        for row in conn.execute(select(ocpi_client_info).order_by(c.partner_id, c.country_code, c.party_id)):
            found.setdefault(row.partner_id, []).append(_object(row))
    return found
