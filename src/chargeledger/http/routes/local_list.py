"""A station's local authorisation list over the API: what it holds, and sending it the operator's token book."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import Engine, select

from ...access.rights import Caller, Right
from ...ocpp import local_list, local_list_updates
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
    answers VersionMismatch and then gets the full list), or the full list; in several messages when the station
    takes fewer entries per message (the first of the asked type, then Differential ones, each a version higher).
    409 when the book holds more tokens than the station can (flagged on its list state)."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    gateway = _gateway(request)
    version = await asyncio.to_thread(_version, engine, station_id)
    try:
        sent = await _send(local_list_updates.send(gateway, engine, station_id, organisation, version,
                                                   body.update_type, caller.email))
    except local_list.TooLarge as refused:
        await asyncio.to_thread(trail.record, "station.local_list", "station", station_id, organisation,
                                update_type=body.update_type, refused=str(refused))
        raise HTTPException(409, str(refused)) from None
    await asyncio.to_thread(trail.record, "station.local_list", "station", station_id, organisation,
                            update_type=sent["update_type"], version=sent["version"],
                            answer=sent["answer"].get("status"), entries=sent["entries"], messages=sent["messages"])
    return sent


def register(app: FastAPI) -> None:
    app.include_router(router)
