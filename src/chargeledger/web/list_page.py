"""The session list page: filters from the query string, one keyset page from the shared read model."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ..access.rights import Caller
from ..storage.tables import organisations, sites, stations
from ..views.session_list import SORTABLE, ListError, SessionFilter, count_sessions, list_sessions, prices_of

STATUSES = ["Pending", "Starting", "Charging", "Paused", "Stopping", "Stopped", "Completed", "Cancelled", "Failed"]
NETWORKS = ["OCPI", "Hubject", "Girève"]
FILTER_KEYS = ("organisation", "site", "station", "status", "network", "from", "to", "q", "live")
PAGE_SIZE = 50
TRAIL_PAGES = 20  # Previous walks back this many pages through the URL; further back, First page


def _day(value: str | None, zone: ZoneInfo, name: str, end: bool = False) -> datetime | None:
    """A date picked by the viewer, as the start of that day (or of the next day, for 'to') in their zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ListError(f"{name} must be a date like 2024-03-05") from exc
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)


def _options(engine: Engine, caller: Caller) -> dict[str, list]:
    orgs = caller.organisation_ids
    with engine.connect() as conn:
        return {
            "organisations": conn.execute(select(organisations.c.id, organisations.c.name)
                                          .where(organisations.c.id.in_(orgs)).order_by(organisations.c.name)).all(),
            "sites": conn.execute(select(sites.c.id, sites.c.name)
                                  .where(sites.c.organisation_id.in_(orgs)).order_by(sites.c.name)).all(),
            "stations": conn.execute(select(stations.c.id, stations.c.name)
                                     .where(stations.c.organisation_id.in_(orgs)).order_by(stations.c.name)).all(),
        }


def list_context(engine: Engine, caller: Caller, params) -> tuple[dict[str, Any], str | None]:
    zone = ZoneInfo(caller.time_zone)
    chosen = {k: params.get(k) or "" for k in FILTER_KEYS}
    sort = params.get("sort") or "started_at"
    order = params.get("order") or "desc"
    values: dict[str, Any] = {"chosen": chosen, "sort": sort, "order": order, "rows": [], "next_url": None,
                              "statuses": STATUSES, "networks": NETWORKS, "sortable": list(SORTABLE),
                              "zone": caller.time_zone, **_options(engine, caller)}
    base = {k: v for k, v in chosen.items() if v}
    values["sort_url"] = lambda column: "/sessions?" + urlencode(
        {**base, "sort": column, "order": "asc" if sort == column and order == "desc" else "desc"})
    values["first_url"] = "/sessions?" + urlencode({**base, "sort": sort, "order": order})
    values["api_query"] = urlencode({**{("from" if k == "from" else k): v for k, v in base.items()
                                        if k not in ("from", "to")}, "sort": sort, "order": order})
    try:
        if chosen["organisation"] and not caller.sees(chosen["organisation"]):
            raise ListError(f"organisation {chosen['organisation']} is outside your organisations")
        if order not in ("asc", "desc"):
            raise ListError("order is asc or desc")
        flt = SessionFilter(caller.organisation_ids, chosen["organisation"] or None, chosen["site"] or None,
                            chosen["station"] or None, [chosen["status"]] if chosen["status"] else None,
                            chosen["network"] or None, _day(chosen["from"], zone, "from"),
                            _day(chosen["to"], zone, "to", end=True), chosen["q"] or None, chosen["live"] == "1")
        if flt.started_from and flt.started_to and flt.started_to <= flt.started_from:
            raise ListError("the time frame is empty: 'to' must be on or after 'from'")
        rows, cursor = list_sessions(engine, flt, PAGE_SIZE, params.get("cursor") or None, sort, order == "desc")
    except ListError as exc:
        return values, str(exc)
    prices = prices_of(engine, [r["id"] for r in rows])
    for r in rows:
        r["price"], r["currency"] = prices.get(r["id"], (None, None))
        end = r["stopped_at"] or (datetime.now(r["started_at"].tzinfo) if r["started_at"] and
                                  r["status"] in ("Pending", "Starting", "Charging", "Paused", "Stopping") else None)
        r["duration_seconds"] = (end - r["started_at"]).total_seconds() if r["started_at"] and end else None
    values["rows"] = rows
    here = params.get("cursor") or ""
    values["paged"] = bool(here)
    # Keyset pages have no numbers: the way back is the trail of cursors that led here, kept in the URL.
    trail = [c for c in (params.get("trail") or "").split(",") if c][-TRAIL_PAGES:]
    if here:
        back = {**base, "sort": sort, "order": order}
        if trail and trail[-1] != "-":  # "-" stands for the first page, which has no cursor
            back.update(cursor=trail[-1], trail=",".join(trail[:-1]))
        values["prev_url"] = "/sessions?" + urlencode({k: v for k, v in back.items() if v})
    if cursor:
        values["next_url"] = "/sessions?" + urlencode({**base, "sort": sort, "order": order, "cursor": cursor,
                                                       "trail": ",".join([*trail, here or "-"])})
    values["total"], values["total_capped"] = count_sessions(engine, flt)
    return values, None
