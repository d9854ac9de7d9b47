"""GET /api/audit: the operator actions on the caller's organisations' objects, newest first."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import Engine

from ...access import audit
from ...access.rights import Caller
from ...reports.request import ReportError, parse_moment
from ..deps import current_caller, engine_of

router = APIRouter(tags=["audit"])
PAGE = 50


def _moment(value: str | None, name: str) -> datetime | None:
    try:
        return parse_moment(value, name) if value is not None else None
    except ReportError as error:  # the same reading of times as reports: a date, or a time with its offset
        raise HTTPException(400, str(error).replace("--", "", 1)) from None


@router.get("/api/audit")
def audit_list(caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
               target_kind: str | None = None, target_id: str | None = None, action: str | None = None,
               actor: str | None = None, since: str | None = None, until: str | None = None,
               cursor: str | None = Query(None, description="the next_cursor of the previous page")) -> dict:
    before = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise HTTPException(400, "cursor is not one this API gave out")
        before = int(cursor)
    items = audit.entries(engine, caller.organisation_ids, target_kind=target_kind, target_id=target_id,
                          action=action, actor=actor, since=_moment(since, "since"), until=_moment(until, "until"),
                          before_id=before, limit=PAGE)
    return {"items": items, "next_cursor": str(items[-1]["id"]) if len(items) == PAGE else None}


def register(app) -> None:
    app.include_router(router)
