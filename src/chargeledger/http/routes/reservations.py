"""Reservations over the API: a station's reservations, reserving an EVSE for a token, cancelling."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, Field

from ...access.rights import Caller, Right
from ...ocpp import reservations
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .local_list import _version
from .ocpp import _gateway, _needs_support_or_stations, _send, _station_org

router = APIRouter(tags=["ocpp"])


class NewReservation(BaseModel):
    id_token: str = Field(min_length=1, max_length=36)
    expires_at: AwareDatetime
    evse_id: int | None = Field(None, ge=1, description="omitted: any EVSE of the station")
    token_type: str = Field("ISO14443", max_length=20)
    group_id: str | None = Field(None, max_length=36)


@router.get("/api/stations/{station_id}/reservations")
def reservation_list(station_id: str, caller: Caller = Depends(current_caller), engine=Depends(engine_of)) -> dict:
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"items": reservations.listing(engine, station_id, datetime.now(timezone.utc))}


@router.post("/api/stations/{station_id}/reservations")
async def reserve(station_id: str, body: NewReservation, request: Request,
                  caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                  trail: AuditTrail = Depends(audit_trail)) -> dict:
    """ReserveNow: the answer says whether the station took it (Accepted) or why not (Occupied, Faulted…)."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    if body.expires_at <= datetime.now(timezone.utc):
        raise HTTPException(400, "expires_at is in the past")
    version = await asyncio.to_thread(_version, engine, station_id)
    reservation_id = await asyncio.to_thread(reservations.next_id, engine, station_id)
    payload = reservations.message(version, reservation_id, body.id_token, body.token_type,
                                   body.expires_at.astimezone(timezone.utc), body.evse_id, body.group_id)
    answer = await _send(_gateway(request).command(station_id, "ReserveNow", payload, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.reserve", "station", station_id, organisation,
                            reservation_id=reservation_id, id_token=body.id_token, answer=answer.get("status"))
    return {"reservation_id": reservation_id, "answer": answer}


@router.delete("/api/stations/{station_id}/reservations/{reservation_id}")
async def cancel(station_id: str, reservation_id: int, request: Request,
                 caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                 trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    held = await asyncio.to_thread(reservations.listing, engine, station_id, datetime.now(timezone.utc))
    if not any(r["reservation_id"] == reservation_id for r in held):
        raise HTTPException(404, f"no reservation {reservation_id} at station {station_id}")
    answer = await _send(_gateway(request).command(station_id, "CancelReservation",
                                                   {"reservationId": reservation_id}, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.cancel_reservation", "station", station_id, organisation,
                            reservation_id=reservation_id, answer=answer.get("status"))
    return {"reservation_id": reservation_id, "answer": answer}


def register(app: FastAPI) -> None:
    app.include_router(router)
