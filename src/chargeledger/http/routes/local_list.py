"""A station's local authorisation list over the API: what it holds, and sending it the operator's token book."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import Engine, select

from ...access.rights import Caller, Right
from ...ocpp import local_list
from ...storage.tables import stations
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .ocpp import _gateway, _needs_support_or_stations, _send, _station_org

router = APIRouter(tags=["ocpp"])


class ListUpdate(BaseModel):
    update_type: Literal["Full", "Differential"] = "Differential"


def _version(engine: Engine, station_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(stations.c.ocpp_version).where(stations.c.id == station_id)).scalar()


@router.get("/api/stations/{station_id}/local-list")
def local_list_held(station_id: str, caller: Caller = Depends(current_caller),
                    engine: Engine = Depends(engine_of)) -> dict:
    """The list version and tokens the station holds by what it accepted, and the version it last reported."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    held = local_list.holding(engine, station_id)
    return {**held, "tokens": sorted(held["tokens"].values(), key=lambda t: t["uid"].lower())}


@router.post("/api/stations/{station_id}/local-list")
async def send_local_list(station_id: str, body: ListUpdate, request: Request,
                          caller: Caller = Depends(require(Right.STATIONS)), engine: Engine = Depends(engine_of),
                          trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Send the station its organisation's tokens: the difference from what it holds (a station that lost track
    answers VersionMismatch and then gets the full list), or the full list."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    gateway = _gateway(request)
    version = await asyncio.to_thread(_version, engine, station_id)
    update_type = body.update_type
    while True:
        payload = await asyncio.to_thread(local_list.plan, engine, station_id, organisation, version, update_type,
                                          datetime.now(timezone.utc))
        answer = await _send(gateway.command(station_id, "SendLocalList", payload, "operator", caller.email))
        if answer.get("status") != "VersionMismatch" or update_type == local_list.FULL:
            break
        update_type = local_list.FULL
    list_version = payload.get("versionNumber", payload.get("listVersion"))  # 2.0.1 and 1.6 name it apart
    await asyncio.to_thread(trail.record, "station.local_list", "station", station_id, organisation,
                            update_type=update_type, version=list_version, answer=answer.get("status"),
                            entries=len(payload["localAuthorizationList"]))
    return {"update_type": update_type, "version": list_version, "answer": answer,
            "entries": len(payload["localAuthorizationList"])}


def register(app: FastAPI) -> None:
    app.include_router(router)
