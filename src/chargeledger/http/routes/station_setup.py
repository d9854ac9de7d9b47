"""A station's setup over the API: its boot policy (approve, hold Pending, reject; heartbeat interval) and the
configuration it reported. Reading needs support or stations; changing needs stations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ...access.rights import Caller, Right
from ...directory.registry import RegistryError
from ...ocpp import stations
from ...ocpp.configuration import configuration_of
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .ocpp import _needs_support_or_stations, _station_org

router = APIRouter(tags=["stations"])


class Registration(BaseModel):
    registration: Literal["Accepted", "Pending", "Rejected"] | None = Field(
        None, description="the answer to the station's next BootNotification")
    heartbeat_interval: int | None = Field(None, ge=1, le=86400, description="seconds")


@router.put("/api/stations/{station_id}/registration")
async def station_registration(station_id: str, body: Registration, caller: Caller = Depends(require(Right.STATIONS)),
                               engine=Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Approve a waiting station (Accepted), hold it (Pending) or refuse it (Rejected); it hears so at its next
    boot. A connected station that is not Accepted may send only BootNotification and Heartbeat."""
    organisation = await run_in_threadpool(_station_org, engine, caller, station_id)
    try:
        await run_in_threadpool(stations.set_registration, engine, station_id, body.registration,
                                body.heartbeat_interval)
    except RegistryError as exc:
        raise HTTPException(422, str(exc)) from None
    await run_in_threadpool(trail.record, "station.registration", "station", station_id, organisation,
                            **body.model_dump(exclude_none=True))
    found = await run_in_threadpool(stations.find_station, engine, station_id)
    return {"registration": found.registration, "heartbeat_interval": found.heartbeat_interval}


@router.get("/api/stations/{station_id}/configuration")
def station_configuration(station_id: str, caller: Caller = Depends(current_caller),
                          engine=Depends(engine_of)) -> dict:
    """The keys the station reported to GetConfiguration, and the changes it accepted since."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"items": configuration_of(engine, station_id)}


def register(app: FastAPI) -> None:
    app.include_router(router)
