"""A 1.6 station's configuration over the API, as it reported it (2.0.1 stations: the device model, in
routes/provisioning.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from ...access.rights import Caller
from ...ocpp.configuration import configuration_of
from ..deps import current_caller, engine_of
from .ocpp import _needs_support_or_stations, _station_org

router = APIRouter(tags=["stations"])


@router.get("/api/stations/{station_id}/configuration")
def station_configuration(station_id: str, caller: Caller = Depends(current_caller),
                          engine=Depends(engine_of)) -> dict:
    """The keys the station reported to GetConfiguration, and the changes it accepted since."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"items": configuration_of(engine, station_id)}


def register(app: FastAPI) -> None:
    app.include_router(router)
