"""OCPP over the API: the message log of a station or a session, and remote commands through the gateway."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request
from sqlalchemy import Engine, select

from ...access.rights import Caller, Right
from ...ocpp import commands
from ...ocpp.station_secrets import redacted
from ...ocpp.message_log import session_log, station_log
from ...storage.tables import stations
from ..audit_trail import AuditTrail, audit_trail
from ..deps import aware, current_caller, engine_of, require
from .sessions import visible_session

router = APIRouter(tags=["ocpp"])


def _station_org(engine: Engine, caller: Caller, station_id: str) -> str:
    with engine.connect() as conn:
        org = conn.execute(select(stations.c.organisation_id).where(stations.c.id == station_id)).scalar()
    if org is None or not caller.sees(org):
        raise HTTPException(404, f"no station {station_id}")
    return org


def _needs_support_or_stations(caller: Caller) -> None:
    if not (caller.has(Right.SUPPORT) or caller.has(Right.STATIONS)):
        raise HTTPException(403, "this needs the support or stations right")


@router.get("/api/stations/{station_id}/ocpp-log")
def station_ocpp_log(station_id: str, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
                     start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
                     limit: int = Query(1000, ge=1, le=10000)) -> dict:
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    start, end = aware(start, "from"), aware(end, "to")
    if start and end and end <= start:
        raise HTTPException(400, "the time frame is empty: 'to' must be after 'from'")
    return {"items": station_log(engine, station_id, start, end, limit)}


@router.get("/api/sessions/{session_id}/ocpp-log")
def session_ocpp_log(session_id: int, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
                     widen: int = Query(0, ge=0, le=1440, description="also the station's frames this many minutes "
                                                                      "before and after the session"),
                     limit: int = Query(1000, ge=1, le=10000)) -> dict:
    _needs_support_or_stations(caller)
    row = visible_session(engine, caller, session_id)
    items = session_log(engine, session_id, row.get("station_id"), row.get("started_at") or row.get("created_at"),
                        row.get("stopped_at"), timedelta(minutes=widen), limit)
    return {"items": items}


def _gateway(request: Request):
    gateway = request.app.state.gateway
    if gateway is None:
        raise HTTPException(409, "this server runs no OCPP gateway, so it cannot reach chargers")
    return gateway


async def _send(coro):
    try:
        return await coro
    except commands.CommandFailed as exc:
        raise HTTPException(exc.http_status, str(exc)) from None


@router.post("/api/sessions/{session_id}/stop")
async def stop_session(session_id: int, request: Request, caller: Caller = Depends(require(Right.SUPPORT)),
                       engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    row = await asyncio.to_thread(visible_session, engine, caller, session_id)
    if row.get("status") not in ("Pending", "Starting", "Charging", "Paused"):
        raise HTTPException(409, f"session {session_id} is {row.get('status')}, not one that can be stopped")
    status = await _send(_gateway(request).stop_session(row, caller.email))
    await asyncio.to_thread(trail.record, "session.stop", "session", session_id, row["organisation_id"],
                            station=row.get("station_id"))
    return {"status": status}


_COMMANDS_DOC = (
    "Send an OCPP command to a connected station with its payload as the version defines it (camelCase); the "
    "answer is the station's. The payload is checked against the version's schema first (400 if it does not fit); "
    "the command is logged with the session it acts on.\n\n"
    + "\n\n".join(f"**OCPP {version}**: {', '.join(names)}" for version, names in commands.ALLOWED.items()))


@router.post("/api/stations/{station_id}/commands/{name}", description=_COMMANDS_DOC)
async def station_command(station_id: str, name: str, request: Request, payload: dict = Body(default={}),
                          caller: Caller = Depends(require(Right.STATIONS)),
                          engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    source = "api" if trail.actor.via == "api" else "operator"  # a signed-in operator, or an API client
    answer = redacted(name, await _send(_gateway(request).command(station_id, name, payload, source, caller.email)))
    await asyncio.to_thread(trail.record, "station.command", "station", station_id, organisation, command=name,
                            payload=redacted(name, payload), answer=answer)
    return {"answer": answer}


def register(app: FastAPI) -> None:
    app.include_router(router)
