"""Driver and team pages: who charged, with which cards, how often, how much, and what the team paid of it.
Only within the caller's organisations (anything else is not found)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Engine, func, select

from ..access.rights import Caller, Right
from ..storage.tables import drivers, id_tokens, organisations, session_settlements, sessions, teams


def _spend(conn, where) -> list[dict[str, Any]]:
    """Billed per currency over the sessions `where` selects, from each session's current settlement."""
    rows = conn.execute(select(session_settlements.c.currency, func.count(),
                               func.sum(session_settlements.c.payment_total))
                        .join(sessions, sessions.c.id == session_settlements.c.session_id)
                        .where(where, session_settlements.c.current.is_(True))
                        .group_by(session_settlements.c.currency)).all()
    return [{"currency": r[0], "sessions": r[1], "total": Decimal(str(r[2] or 0))} for r in rows]


def _recent(conn, where) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(sessions.c.id, sessions.c.status, sessions.c.started_at, sessions.c.energy_wh, sessions.c.station_id,
               sessions.c.evse_id, sessions.c.driver_id).where(where)
        # newest start first, as the station page: imported and roaming sessions get their ids after later ones
        .order_by(sessions.c.started_at.desc().nulls_first(), sessions.c.id.desc()).limit(20))]


def _shares(conn, where) -> dict[str, dict[str, Decimal]]:
    """Split billing over the sessions `where` selects, per currency: what the team covered, what the drivers paid."""
    split = conn.execute(select(session_settlements.c.currency, session_settlements.c.split_billing)
                         .join(sessions, sessions.c.id == session_settlements.c.session_id)
                         .where(where, session_settlements.c.current.is_(True))).all()
    shares: dict[str, dict[str, Decimal]] = {}
    for currency, sb in split:
        if not sb:
            continue
        share = shares.setdefault(currency, {"team": Decimal(0), "drivers": Decimal(0)})
        share["team"] += Decimal(str(sb.get("team_share") or 0))
        share["drivers"] += Decimal(str(sb.get("driver_contribution") or 0))
    return shares


def driver_page(engine: Engine, caller: Caller, driver_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        driver = conn.execute(select(drivers).where(drivers.c.id == driver_id)).first()
        if driver is None or not caller.sees(driver.organisation_id):
            raise HTTPException(404, f"no driver {driver_id}")
        team = conn.execute(select(teams).where(teams.c.id == driver.team_id)).first() if driver.team_id else None
        tokens = [dict(r._mapping) for r in conn.execute(
            select(id_tokens.c.uid, id_tokens.c.token_type, id_tokens.c.status, id_tokens.c.contract_id,
                   id_tokens.c.expires_at).where(id_tokens.c.driver_id == driver_id).order_by(id_tokens.c.uid))]
        where = sessions.c.driver_id == driver_id
        return {"driver": dict(driver._mapping), "team": dict(team._mapping) if team else None, "tokens": tokens,
                "recent": _recent(conn, where), "spend": _spend(conn, where), "shares": _shares(conn, where),
                "contact": caller.has(Right.SUPPORT)}


def team_page(engine: Engine, caller: Caller, team_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        team = conn.execute(select(teams).where(teams.c.id == team_id)).first()
        if team is None or not caller.sees(team.organisation_id):
            raise HTTPException(404, f"no team {team_id}")
        members = [dict(r._mapping) for r in conn.execute(
            select(drivers.c.id, drivers.c.name).where(drivers.c.team_id == team_id).order_by(drivers.c.name))]
        where = sessions.c.driver_id.in_([m["id"] for m in members] or [""])
        shares = _shares(conn, where)
        currency = conn.execute(select(organisations.c.currency)
                                .where(organisations.c.id == team.organisation_id)).scalar()
        return {"team": dict(team._mapping), "members": members, "recent": _recent(conn, where),
                "spend": _spend(conn, where), "shares": shares, "currency": currency}
