"""Smart charging over the API: a station's charging profiles (set, clear, list), its composite schedule, and a
site's power limit shared by its stations. Reading needs support or stations; changing needs stations."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from ...access.rights import Caller, Right
from ...ocpp import charging_profiles, site_limit
from ...storage.tables import sites
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .local_list import _version
from .ocpp import _gateway, _needs_support_or_stations, _send, _station_org

router = APIRouter(tags=["ocpp"])


class NewProfile(BaseModel):
    connector_id: int = Field(0, ge=0, description="1.6 connector / 2.0.1 EVSE; 0: the whole station")
    profile: dict[str, Any] = Field(..., description="the OCPP ChargingProfile, camelCase, as the version defines it")


class ClearProfiles(BaseModel):
    id: int | None = None
    connector_id: int | None = Field(None, ge=0)
    purpose: str | None = Field(None, description="ChargePointMaxProfile, TxDefaultProfile or TxProfile")
    stack_level: int | None = Field(None, ge=0)


class CompositeRequest(BaseModel):
    connector_id: int = Field(0, ge=0)
    duration: int = Field(..., ge=1, le=7 * 86400, description="seconds from now")
    unit: Literal["W", "A"] | None = None


class SiteLimit(BaseModel):
    power_limit_kw: Decimal | None = Field(..., ge=0, le=100000, decimal_places=1,
                                           description="the grid limit; null removes it")


@router.get("/api/stations/{station_id}/charging-profiles")
def profile_list(station_id: str, caller: Caller = Depends(current_caller), engine=Depends(engine_of)) -> dict:
    """The profiles the station accepted and holds, and the composite schedule it last reported."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return charging_profiles.of_station(engine, station_id)


async def _command(request: Request, engine, caller: Caller, trail: AuditTrail, station_id: str, name: str,
                   payload: dict) -> dict:
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    answer = await _send(_gateway(request).command(station_id, name, payload, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.command", "station", station_id, organisation, command=name,
                            payload=payload, answer=answer)
    return answer


@router.post("/api/stations/{station_id}/charging-profiles")
async def profile_set(station_id: str, body: NewProfile, request: Request,
                      caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                      trail: AuditTrail = Depends(audit_trail)) -> dict:
    version = await asyncio.to_thread(_version, engine, station_id)
    payload = ({"connectorId": body.connector_id, "csChargingProfiles": body.profile} if version == "1.6" else
               {"evseId": body.connector_id, "chargingProfile": body.profile})
    return {"answer": await _command(request, engine, caller, trail, station_id, "SetChargingProfile", payload)}


@router.post("/api/stations/{station_id}/charging-profiles/clear")
async def profile_clear(station_id: str, body: ClearProfiles, request: Request,
                        caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                        trail: AuditTrail = Depends(audit_trail)) -> dict:
    version = await asyncio.to_thread(_version, engine, station_id)
    if version == "1.6":
        payload = {"id": body.id, "connectorId": body.connector_id, "chargingProfilePurpose": body.purpose,
                   "stackLevel": body.stack_level}
    else:
        criteria = {"evseId": body.connector_id, "chargingProfilePurpose": body.purpose,
                    "stackLevel": body.stack_level}
        payload = {"chargingProfileId": body.id,
                   "chargingProfileCriteria": {k: v for k, v in criteria.items() if v is not None} or None}
    payload = {k: v for k, v in payload.items() if v is not None}
    return {"answer": await _command(request, engine, caller, trail, station_id, "ClearChargingProfile", payload)}


@router.post("/api/stations/{station_id}/composite-schedule")
async def composite(station_id: str, body: CompositeRequest, request: Request,
                    caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                    trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Ask the station what it will draw over the next `duration` seconds (GetCompositeSchedule)."""
    version = await asyncio.to_thread(_version, engine, station_id)
    payload = {"connectorId" if version == "1.6" else "evseId": body.connector_id, "duration": body.duration,
               "chargingRateUnit": body.unit}
    payload = {k: v for k, v in payload.items() if v is not None}
    return {"answer": await _command(request, engine, caller, trail, station_id, "GetCompositeSchedule", payload)}


def _site_org(engine, caller: Caller, site_id: str) -> str:
    with engine.connect() as conn:
        org = conn.execute(select(sites.c.organisation_id).where(sites.c.id == site_id)).scalar()
    if org is None or not caller.sees(org):
        raise HTTPException(404, "no such site")
    return org


@router.put("/api/sites/{site_id}/power-limit")
async def site_power_limit(site_id: str, body: SiteLimit, request: Request,
                           caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                           trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Set the site's grid limit: each connected station gets an equal share as its station-wide maximum profile
    now, and again whenever a station of the site boots."""
    organisation = await asyncio.to_thread(_site_org, engine, caller, site_id)
    await asyncio.to_thread(site_limit.set_limit, engine, site_id, body.power_limit_kw)
    gateway = request.app.state.gateway
    results = await site_limit.share(gateway, site_id, datetime.now(timezone.utc)) if gateway else {}
    await asyncio.to_thread(trail.record, "site.power_limit", "site", site_id, organisation,
                            power_limit_kw=str(body.power_limit_kw) if body.power_limit_kw is not None else None)
    return {"power_limit_kw": body.power_limit_kw, "stations": results}


def register(app: FastAPI) -> None:
    app.include_router(router)
