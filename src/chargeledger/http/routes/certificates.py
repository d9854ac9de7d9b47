"""A station's certificates over the API: what our CA issued to it (expiry, the station's answer, revocation), what
it holds, its signing state and security profile; and revocation (docs/security.md, PKI). Reading needs support or
stations; revoking needs stations."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel

from ...access.rights import Caller, Right
from ...ocpp import certificate_signing, installed_certificates, security_profile, station_state
from ...pki import issued
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .ocpp import _needs_support_or_stations, _station_org

router = APIRouter(tags=["ocpp"])


class Revocation(BaseModel):
    reason: Literal[issued.REASONS] = "unspecified"  # type: ignore[valid-type]  # RFC 5280 reason names


@router.get("/api/stations/{station_id}/certificates")
def certificates(station_id: str, caller: Caller = Depends(current_caller), engine=Depends(engine_of)) -> dict:
    """Issued by our CA (newest first), held by the station as it last told us, the signing request's state, and
    the lowest security profile it may connect with (with a pending upgrade)."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    held = station_state.recall(engine, station_id, installed_certificates.TOPIC) or {"certificates": []}
    return {"issued": issued.of_station(engine, station_id), "installed": held["certificates"],
            "signing": station_state.recall(engine, station_id, certificate_signing.TOPIC),
            "security_profile": {"minimum": security_profile.minimum(engine, station_id),
                                 "upgrade": station_state.recall(engine, station_id, security_profile.UPGRADE)}}


@router.post("/api/stations/{station_id}/certificates/{serial}/revoke")
async def revoke(station_id: str, serial: str, body: Revocation, caller: Caller = Depends(require(Right.STATIONS)),
                 engine=Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Revoke a certificate our CA issued to this station: OCSP answers revoked, its next handshake is refused."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    found = await asyncio.to_thread(issued.find, engine, serial)
    if found is None or found["station_id"] != station_id:
        raise HTTPException(404, f"no certificate {serial} of station {station_id}")
    row = await asyncio.to_thread(issued.revoke, engine, serial, body.reason, datetime.now(timezone.utc))
    await asyncio.to_thread(trail.record, "certificate.revoke", "station", station_id, organisation,
                            serial=row["serial_number"], reason=row["revocation_reason"])
    return {"serial_number": row["serial_number"], "revoked_at": row["revoked_at"],
            "revocation_reason": row["revocation_reason"]}


def register(app: FastAPI) -> None:
    app.include_router(router)
