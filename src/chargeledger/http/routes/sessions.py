"""Sessions: list with filters and keyset pagination, one session in full, operator events on a session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import Engine

from ...access.rights import Caller, Right
from ...domain.events import EventSource
from ...domain.typed_events import CustomFieldsSet, FlagResolved, ForceClosed
from ...ledger.store import Ledger, NewEvent, utcnow
from ...views.session_detail import session_detail, session_row
from ...views.session_list import ListError, SessionFilter, list_sessions
from ..audit_trail import AuditTrail, audit_trail
from ..deps import aware, current_caller, engine_of, require, scope_organisation

router = APIRouter(tags=["sessions"])


def visible_session(engine: Engine, caller: Caller, session_id: int) -> dict[str, Any]:
    """The session row if the caller may see it; 404 otherwise (so IDs of other operators leak nothing)."""
    row = session_row(engine, session_id)
    if row is None or not caller.sees(row["organisation_id"]):
        raise HTTPException(404, f"no session {session_id}")
    return row


@router.get("/api/sessions")
def sessions_list(
    caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
    organisation: str | None = None, site: str | None = None, station: str | None = None,
    status: list[str] | None = Query(None), network: str | None = None,
    started_from: datetime | None = Query(None, alias="from"), started_to: datetime | None = Query(None, alias="to"),
    q: str | None = Query(None, description="session ID, EVSE-ID, token, transaction ID or driver ID"),
    live: bool = False, limit: int = 50, cursor: str | None = None, sort: str = "started_at", order: str = "desc",
) -> dict:
    scope_organisation(caller, organisation)
    if order not in ("asc", "desc"):
        raise HTTPException(400, "order is asc or desc")
    flt = SessionFilter(caller.organisation_ids, organisation, site, station, status, network,
                        aware(started_from, "from"), aware(started_to, "to"), q, live)
    if flt.started_from and flt.started_to and flt.started_to <= flt.started_from:
        raise HTTPException(400, "the time frame is empty: 'to' must be after 'from'")
    try:
        rows, next_cursor = list_sessions(engine, flt, limit, cursor, sort, order == "desc")
    except ListError as exc:
        raise HTTPException(400, str(exc)) from exc
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/api/sessions/{session_id}")
def session_get(session_id: int, caller: Caller = Depends(current_caller),
                engine: Engine = Depends(engine_of)) -> dict:
    visible_session(engine, caller, session_id)
    detail = session_detail(engine, session_id)
    if not caller.has(Right.SUPPORT):
        detail.pop("driver_contact", None)
    for enrich in DETAIL_ENRICHERS:
        enrich(engine, caller, detail)
    return detail


# Other adapters (money, OCPP log) add to a session's detail through these, without this module knowing them.
DETAIL_ENRICHERS: list = []


class CustomFields(BaseModel):
    fields: dict[str, str | int | float | bool | None]
    removed: list[str] = []


@router.put("/api/sessions/{session_id}/custom-fields")
def set_custom_fields(session_id: int, body: CustomFields, caller: Caller = Depends(require(Right.SUPPORT)),
                      engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    row = visible_session(engine, caller, session_id)
    ledger = Ledger(engine)
    ledger.append(session_id, [NewEvent.of(CustomFieldsSet(fields=body.fields, removed=body.removed,
                                                           by=caller.email), utcnow(), EventSource.OPERATOR)])
    view = ledger.refresh(session_id)
    trail.record("session.custom_fields", "session", session_id, row["organisation_id"],
                 fields=sorted(body.fields), removed=body.removed)
    return {"custom_fields": view.custom_fields}


class FlagResolution(BaseModel):
    reason: str


@router.post("/api/sessions/{session_id}/flags/{code}/resolve")
def resolve_flag(session_id: int, code: str, body: FlagResolution, caller: Caller = Depends(require(Right.SUPPORT)),
                 engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    row = visible_session(engine, caller, session_id)
    if not body.reason.strip():
        raise HTTPException(400, "a resolution needs a reason")
    ledger = Ledger(engine)
    view = ledger.project(session_id)
    if code not in {f.code.value for f in view.flags}:
        raise HTTPException(404, f"session {session_id} has no flag {code}")
    ledger.append(session_id, [NewEvent.of(FlagResolved(flag=code, reason=body.reason.strip(), by=caller.email),
                                           utcnow(), EventSource.OPERATOR)])
    view = ledger.refresh(session_id)
    trail.record("session.flag_resolved", "session", session_id, row["organisation_id"], flag=code,
                 reason=body.reason.strip())
    return {"flags": [{"code": f.code.value, "resolved": f.resolved, "resolution": f.resolution} for f in view.flags]}


class ForceClose(BaseModel):
    why: str


@router.post("/api/sessions/{session_id}/force-close")
def force_close(session_id: int, body: ForceClose, caller: Caller = Depends(require(Right.SUPPORT)),
                engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    row = visible_session(engine, caller, session_id)
    if not body.why.strip():
        raise HTTPException(400, "ending a session needs a reason")
    ledger = Ledger(engine)
    if not ledger.project(session_id).status.is_active:
        raise HTTPException(409, f"session {session_id} is not active")
    ledger.append(session_id, [NewEvent.of(ForceClosed(by=caller.email, why=body.why.strip()), utcnow(),
                                           EventSource.OPERATOR)])
    status = ledger.refresh(session_id).status.value
    trail.record("session.force_close", "session", session_id, row["organisation_id"], why=body.why)
    return {"status": status}
