"""Reservations over the API: reserve a connector of a station for a token, list them, cancel one.

Reading needs support or stations; reserving and cancelling need stations. The station's answer is the
reservation's status (a refused ReserveNow is kept too, with the station's reason)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ...access.rights import Caller, Right
from ...ocpp import reservations
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .local_list import _version
from .ocpp import _gateway, _needs_support_or_stations, _send, _station_org

router = APIRouter(tags=["ocpp"])


class NewReservation(BaseModel):
    connector_id: int = Field(..., ge=0, description="1.6: the connector (0: any, the whole station); 2.0.1: EVSE")
    id_tag: str = Field(..., min_length=1, max_length=36, description="the token the connector is held for")
    expires_at: datetime = Field(..., description="with an offset, in the future")
    parent_id_tag: str | None = Field(None, max_length=36, description="its group: group members may use it too")
    connector_type: str | None = Field(None, max_length=20, description="2.0.1: a connector of this type (cType2, "
                                       "cCCS2, ...), on the EVSE given or any")


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@router.get("/api/stations/{station_id}/reservations")
def reservation_list(station_id: str, caller: Caller = Depends(current_caller), engine=Depends(engine_of)) -> dict:
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"items": reservations.of_station(engine, station_id, datetime.now(timezone.utc))}


@router.post("/api/stations/{station_id}/reservations", status_code=201)
async def reserve(station_id: str, body: NewReservation, request: Request,
                  caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                  trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Send ReserveNow with the next reservation id of the station; the answer is the reservation's status."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    if body.expires_at.tzinfo is None:
        raise HTTPException(422, "expires_at needs a time zone offset, for example 2025-01-01T10:00:00Z")
    now = datetime.now(timezone.utc)
    if body.expires_at <= now:
        raise HTTPException(422, "expires_at is in the past")
    gateway = _gateway(request)
    reservation_id = await asyncio.to_thread(reservations.next_id, engine, station_id)
    if await asyncio.to_thread(_version, engine, station_id) == "1.6":
        if body.connector_type:
            raise HTTPException(422, "OCPP 1.6 reserves a connector by its id, not by its type")
        payload = {"connectorId": body.connector_id, "expiryDate": _iso(body.expires_at), "idTag": body.id_tag,
                   "reservationId": reservation_id, "parentIdTag": body.parent_id_tag}
    else:
        payload = {"id": reservation_id, "expiryDateTime": _iso(body.expires_at),
                   "idToken": {"idToken": body.id_tag, "type": "ISO14443"}, "evseId": body.connector_id or None,
                   "groupIdToken": {"idToken": body.parent_id_tag, "type": "Central"} if body.parent_id_tag else None,
                   "connectorType": body.connector_type}
    payload = {k: v for k, v in payload.items() if v is not None}
    answer = await _send(gateway.command(station_id, "ReserveNow", payload, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.reserve", "station", station_id, organisation,
                            reservation_id=reservation_id, connector_id=body.connector_id, answer=answer.get("status"))
    found = await asyncio.to_thread(reservations.find, engine, station_id, reservation_id, now)
    return found or {"reservation_id": reservation_id, "status": answer.get("status")}


@router.post("/api/stations/{station_id}/reservations/{reservation_id}/cancel")
async def cancel_reservation(station_id: str, reservation_id: int, request: Request,
                             caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                             trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    now = datetime.now(timezone.utc)
    if await asyncio.to_thread(reservations.find, engine, station_id, reservation_id, now) is None:
        raise HTTPException(404, f"no reservation {reservation_id} at {station_id}")
    answer = await _send(_gateway(request).command(station_id, "CancelReservation",
                                                   {"reservationId": reservation_id}, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.cancel_reservation", "station", station_id, organisation,
                            reservation_id=reservation_id, answer=answer.get("status"))
    return {"answer": answer, "reservation": await asyncio.to_thread(reservations.find, engine, station_id,
                                                                     reservation_id, now)}


def register(app: FastAPI) -> None:
    app.include_router(router)
