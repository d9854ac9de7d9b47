"""Provisioning over the API: a station's registration (the operator's approval) and the device model it reported."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine

from ...access.rights import Caller, Right
from ...ocpp import commands, station_state, stations
from ...ocpp.device_model import device_model
from ...ocpp.registration import ACCEPTED
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .ocpp import _needs_support_or_stations, _station_org

router = APIRouter(tags=["ocpp"])
log = logging.getLogger(__name__)


class Registration(BaseModel):
    status: Literal["Accepted", "Pending", "Rejected"]


@router.put("/api/stations/{station_id}/registration")
async def set_registration(station_id: str, body: Registration, request: Request,
                           caller: Caller = Depends(require(Right.STATIONS)), engine: Engine = Depends(engine_of),
                           trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Approve (Accepted), hold (Pending) or refuse (Rejected) a station; it hears it at its next BootNotification.
    An approved station that is connected is asked to boot again now (TriggerMessage BootNotification)."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    before = await asyncio.to_thread(stations.set_registration, engine, station_id, body.status)
    await asyncio.to_thread(trail.record, "station.registration", "station", station_id, organisation,
                            status=body.status)
    gateway = request.app.state.gateway
    triggered = None
    if gateway is not None and body.status == ACCEPTED and before != ACCEPTED:
        try:
            answer = await gateway.command(station_id, "TriggerMessage", {"requestedMessage": "BootNotification"})
            triggered = answer.get("status")
        except commands.CommandFailed as exc:  # it boots again at its own retry interval anyway
            log.warning("could not ask %s to boot again: %s", station_id, exc)
            triggered = "Failed"
    return {"station_id": station_id, "registration": body.status, "boot_triggered": triggered}


@router.get("/api/stations/{station_id}/variables")
def station_variables(station_id: str, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
                      component: str | None = Query(None, max_length=50)) -> dict:
    """The device model the station reported (NotifyReport) and the values read or set since."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"items": device_model(engine, station_id, component)}


@router.get("/api/stations/{station_id}/state")
def station_state_now(station_id: str, caller: Caller = Depends(current_caller),
                      engine: Engine = Depends(engine_of)) -> dict:
    """What the station last told us per topic: firmware, log upload, charging limit, EV charging needs and
    schedule, composite schedule, local list, remote starts."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"topics": station_state.states(engine, station_id)}


def register(app: FastAPI) -> None:
    app.include_router(router)
