"""The Tokens page: the id tokens (RFID cards, contract ids) of the caller's organisations, searched by any part of
the uid in any case, with status, expiry, group and owner. Reading needs the support or stations right, as the
tokens API does; adding and blocking (through that API, from the page's script) need support."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Engine, select

from ..access.rights import Caller, Right
from ..directory import tokens as book
from ..storage.tables import drivers, organisations, teams

PAGE = 100
STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")


def may_see_tokens(caller: Caller) -> bool:
    return caller.has(Right.SUPPORT) or caller.has(Right.STATIONS)


def tokens_page(engine: Engine, caller: Caller, params) -> dict[str, Any]:
    if not may_see_tokens(caller):
        raise HTTPException(403, "the Tokens page needs the support or stations right")
    search = (params.get("search") or "").strip()[:64]
    status = params.get("status") if params.get("status") in STATUSES else None
    page = max(int(params.get("page")) if str(params.get("page") or "").isdigit() else 1, 1)
    rows = book.listing(engine, caller.organisation_ids, status, search or None, PAGE + 1, (page - 1) * PAGE)
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        names = {r.id: r.name for r in conn.execute(select(drivers.c.id, drivers.c.name).where(
            drivers.c.id.in_({t["driver_id"] for t in rows if t["driver_id"]})))}
        team_names = {r.id: r.name for r in conn.execute(select(teams.c.id, teams.c.name).where(
            teams.c.id.in_({t["team_id"] for t in rows if t["team_id"]})))}
        orgs = [dict(r._mapping) for r in conn.execute(
            select(organisations.c.id, organisations.c.name)
            .where(organisations.c.id.in_(list(caller.organisation_ids))).order_by(organisations.c.name))]
    tokens = [{**t, "driver_name": names.get(t["driver_id"]), "team_name": team_names.get(t["team_id"]),
               # an Accepted token past its expiry is refused at the charger: the page says so too
               "expired": t["expires_at"] is not None and _utc(t["expires_at"]) <= now}
              for t in rows[:PAGE]]
    return {"tokens": tokens, "search": search, "chosen_status": status or "", "statuses": STATUSES, "page": page,
            "more": len(rows) > PAGE, "can_change": caller.has(Right.SUPPORT), "organisations": orgs,
            "several_organisations": len(orgs) > 1}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
