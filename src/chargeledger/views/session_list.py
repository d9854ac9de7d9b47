"""The session list: filters, free-text search and keyset pagination that stays fast at millions of rows."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, union

from ..storage.tables import drivers, evses, id_tokens, sessions, stations

SORTABLE = {"started_at": sessions.c.started_at, "energy_wh": sessions.c.energy_wh, "status": sessions.c.status,
            "station_id": sessions.c.station_id, "id": sessions.c.id}
CURSOR_TYPES = {"started_at": str, "energy_wh": (int, float), "status": str, "station_id": str, "id": int}


class ListError(ValueError):
    pass


@dataclass(frozen=True)
class SessionFilter:
    organisation_ids: frozenset[str]  # the caller's scope, always applied
    organisation_id: str | None = None
    site_id: str | None = None
    station_id: str | None = None
    status: list[str] | None = None
    network: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    search: str | None = None
    live_only: bool = False


def _squeezed(text: str) -> str:
    """An identifier as people type it: no case, no separators (nl*acm*e0001, NLACME0001 and NL-ACM-E0001 agree)."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _forgiving(conn, term: str, organisation_ids: frozenset[str]) -> dict[str, list[str]]:
    """What a partial or differently-cased term names in the (small) directory tables of the caller's
    organisations: EVSE-IDs that contain it, drivers whose name contains it, tokens whose eMAID is it."""
    wanted = _squeezed(term)
    if len(wanted) < 3:  # two characters would match half the network
        return {"evse_ids": [], "driver_ids": [], "tokens": []}
    evse_rows = conn.execute(select(evses.c.evse_id).join(stations, stations.c.id == evses.c.station_id)
                             .where(stations.c.organisation_id.in_(organisation_ids))).scalars()
    driver_rows = conn.execute(select(drivers.c.id, drivers.c.name)
                               .where(drivers.c.organisation_id.in_(organisation_ids))).all()
    token_rows = conn.execute(select(id_tokens.c.uid, id_tokens.c.contract_id)
                              .where(id_tokens.c.organisation_id.in_(organisation_ids),
                                     id_tokens.c.contract_id.is_not(None))).all()
    return {"evse_ids": [e for e in evse_rows if wanted in _squeezed(e)][:200],
            "driver_ids": [d.id for d in driver_rows if term.strip().lower() in d.name.lower()][:200],
            "tokens": [t.uid for t in token_rows if _squeezed(t.contract_id) == wanted][:50]}


def _matching(term: str, forgiving: dict[str, list[str]] | None = None):
    """Sessions whose ID, EVSE-ID, token, transaction, key or driver is `term`: a union of indexed lookups.

    Planners use one index per OR branch reliably only in this shape; an OR beside the organisation filter made
    SQLite scan the organisation's whole range (180 ms at 1M sessions).
    """
    columns = (sessions.c.evse_id, sessions.c.transaction_id, sessions.c.external_key, sessions.c.driver_id)
    lookups = [select(sessions.c.id).where(column == term) for column in columns]
    # id tokens are CiString: the term as typed, in capitals and in small letters (RFID UIDs come in one case),
    # each through the token index
    lookups.append(select(sessions.c.id).where(sessions.c.id_token.in_(sorted({term, term.upper(), term.lower()}))))
    if term.isdigit() and len(term) < 19:
        lookups.append(select(sessions.c.id).where(sessions.c.id == int(term)))
    # an eMAID as the roaming partner writes it, with or without its dashes, in either case
    emaid = term.replace("-", "").upper()
    if emaid != term:
        lookups.append(select(sessions.c.id).where(sessions.c.id_token.in_(sorted({emaid, emaid.lower()}))))
    found = forgiving or {}
    if found.get("evse_ids"):
        lookups.append(select(sessions.c.id).where(sessions.c.evse_id.in_(found["evse_ids"])))
    if found.get("driver_ids"):
        lookups.append(select(sessions.c.id).where(sessions.c.driver_id.in_(found["driver_ids"])))
    if found.get("tokens"):
        lookups.append(select(sessions.c.id).where(sessions.c.id_token.in_(found["tokens"])))
    return union(*lookups)


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, int]:
    """The (last value, last id) a cursor carries; anything else is refused, never handed to the database."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        last_value, last_id = decoded
        if type(last_id) is not int or not -2**63 <= last_id < 2**63:
            raise ValueError("the id is not a whole number")
        if last_value is not None:
            if isinstance(last_value, bool) or not isinstance(last_value, CURSOR_TYPES[sort]):
                raise ValueError(f"the {sort} value has the wrong type")
            if sort == "started_at":
                last_value = datetime.fromisoformat(last_value)
            elif isinstance(last_value, int) and not -2**63 <= last_value < 2**63:
                raise ValueError("the value is out of range")
            elif isinstance(last_value, float) and not math.isfinite(last_value):
                raise ValueError("the value is not finite")
    except (ValueError, TypeError) as exc:  # bad base64, bad JSON, wrong shape, not a time
        raise ListError("cursor is not one this API issued") from exc
    return last_value, last_id


def _conditions(engine: Engine, flt: SessionFilter) -> list:
    conditions = [sessions.c.organisation_id.in_(flt.organisation_ids)]
    if flt.organisation_id:
        conditions.append(sessions.c.organisation_id == flt.organisation_id)
    if flt.site_id:
        conditions.append(sessions.c.site_id == flt.site_id)
    if flt.station_id:
        conditions.append(sessions.c.station_id == flt.station_id)
    if flt.status:
        conditions.append(sessions.c.status.in_(flt.status))
    if flt.live_only:
        conditions.append(sessions.c.status.in_(["Pending", "Starting", "Charging", "Paused", "Stopping"]))
    if flt.network:
        conditions.append(sessions.c.network == flt.network)
    if flt.started_from:
        conditions.append(sessions.c.started_at >= flt.started_from)
    if flt.started_to:
        conditions.append(sessions.c.started_at < flt.started_to)
    if flt.search:
        with engine.connect() as conn:
            forgiving = _forgiving(conn, flt.search, flt.organisation_ids)
        conditions.append(sessions.c.id.in_(_matching(flt.search.strip(), forgiving)))
    return conditions


def count_sessions(engine: Engine, flt: SessionFilter, cap: int = 10_000) -> tuple[int, bool]:
    """How many sessions match, counted up to `cap` (then "cap+"): a total that stays cheap at millions of rows."""
    capped = select(sessions.c.id).where(and_(*_conditions(engine, flt))).limit(cap + 1).subquery()
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(capped)).scalar_one()
    return min(total, cap), total > cap


def prices_of(engine: Engine, session_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The current settlement's price (payment total, currency) of each listed session that has one."""
    if not session_ids:
        return {}
    from ..storage.tables import session_settlements
    with engine.connect() as conn:
        rows = conn.execute(select(session_settlements.c.session_id, session_settlements.c.payment_total,
                                   session_settlements.c.currency)
                            .where(session_settlements.c.session_id.in_(session_ids),
                                   session_settlements.c.current.is_(True))).all()
    return {r.session_id: (r.payment_total, r.currency) for r in rows}


def list_sessions(engine: Engine, flt: SessionFilter, limit: int = 50, cursor: str | None = None,
                  sort: str = "started_at", descending: bool = True) -> tuple[list[dict[str, Any]], str | None]:
    if sort not in SORTABLE:
        raise ListError(f"cannot sort by {sort!r}; choose from {', '.join(SORTABLE)}")
    if not 1 <= limit <= 500:
        raise ListError("limit must be between 1 and 500")
    column = SORTABLE[sort]
    conditions = _conditions(engine, flt)
    if cursor:
        last_value, last_id = _decode(cursor, sort)
        if descending:
            conditions.append(or_(column < last_value, and_(column == last_value, sessions.c.id < last_id)))
        else:
            conditions.append(or_(column > last_value, and_(column == last_value, sessions.c.id > last_id)))
    order = [column.desc(), sessions.c.id.desc()] if descending else [column.asc(), sessions.c.id.asc()]
    query = (select(sessions.c.id, sessions.c.organisation_id, sessions.c.site_id, sessions.c.station_id,
                    stations.c.name.label("station_name"), sessions.c.evse_id, sessions.c.connector_id,
                    sessions.c.status, sessions.c.started_at, sessions.c.stopped_at, sessions.c.energy_wh,
                    sessions.c.id_token, sessions.c.driver_id, sessions.c.network, sessions.c.simulated,
                    sessions.c.transaction_id)
             .outerjoin(stations, stations.c.id == sessions.c.station_id)
             .where(and_(*conditions)).order_by(*order).limit(limit + 1))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = last[sort]
        next_cursor = _encode([value.isoformat() if isinstance(value, datetime) else value, last["id"]])
    return rows, next_cursor
