"""Firmware and diagnostics over the API: update a station's firmware, fetch its diagnostics (or log) onto our
upload endpoint, and read what it reported (status, files, security events).

Reading needs support or stations; asking needs stations. The upload endpoint is for stations, not people: it
takes no API key, only the one-time token of the location we sent (so it is left out of the OpenAPI schema)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...access.rights import Caller, Right
from ...ocpp import security_log, station_files, station_state
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .local_list import _version
from .ocpp import _gateway, _needs_support_or_stations, _send, _station_org

router = APIRouter(tags=["ocpp"])


class FirmwareUpdate(BaseModel):
    location: str = Field(..., min_length=1, max_length=512, description="URI the station downloads the image from")
    retrieve_date: datetime = Field(..., description="when to download, with an offset")
    retries: int | None = Field(None, ge=0, le=100)
    retry_interval: int | None = Field(None, ge=0, le=86400, description="seconds")


class DiagnosticsRequest(BaseModel):
    start_time: datetime | None = None
    stop_time: datetime | None = None
    retries: int | None = Field(None, ge=0, le=100)
    retry_interval: int | None = Field(None, ge=0, le=86400)
    upload_base_url: str | None = Field(None, max_length=300, description="how stations reach this server, if not "
                                                                           "the address this request used")
    transport: Literal["http", "ftp"] = Field("http", description="ftp: the station uploads to our FTP location "
                                                                  "(most 1.6 chargers support only FTP); it needs "
                                                                  "the server's FTP port (CHARGELEDGER_FTP_PORT)")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, "times need a time zone offset, for example 2025-01-01T00:00:00Z")
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _clean(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if v is not None}


async def _command(request, engine, caller, trail, station_id, organisation, name, payload) -> dict:
    answer = await _send(_gateway(request).command(station_id, name, payload, "operator", caller.email))
    await asyncio.to_thread(trail.record, "station.command", "station", station_id, organisation, command=name,
                            answer=answer)
    return answer


@router.post("/api/stations/{station_id}/firmware")
async def firmware_update(station_id: str, body: FirmwareUpdate, request: Request,
                          caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                          trail: AuditTrail = Depends(audit_trail)) -> dict:
    """UpdateFirmware: the station downloads and installs the image, reporting each step (FirmwareStatus)."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    if await asyncio.to_thread(_version, engine, station_id) == "1.6":
        payload = _clean({"location": body.location, "retrieveDate": _iso(body.retrieve_date),
                          "retries": body.retries, "retryInterval": body.retry_interval})
    else:
        payload = _clean({"requestId": secrets.randbelow(2**31), "retries": body.retries,
                          "retryInterval": body.retry_interval,
                          "firmware": {"location": body.location, "retrieveDateTime": _iso(body.retrieve_date)}})
    answer = await _command(request, engine, caller, trail, station_id, organisation, "UpdateFirmware", payload)
    return {"answer": answer}


@router.post("/api/stations/{station_id}/diagnostics")
async def diagnostics(station_id: str, body: DiagnosticsRequest, request: Request,
                      caller: Caller = Depends(require(Right.STATIONS)), engine=Depends(engine_of),
                      trail: AuditTrail = Depends(audit_trail)) -> dict:
    """GetDiagnostics (1.6) or GetLog (2.0.1): the station uploads its file to our upload endpoint (HTTP, or our
    FTP location), with a one-time token in the location."""
    organisation = await asyncio.to_thread(_station_org, engine, caller, station_id)
    ftp = request.app.state.ftp_uploads
    if body.transport == "ftp" and ftp is None:
        raise HTTPException(409, "this server offers no FTP upload location: start it with CHARGELEDGER_FTP_PORT")
    token = await asyncio.to_thread(station_files.new_upload, engine, station_id, station_files.DIAGNOSTICS,
                                    datetime.now(timezone.utc))
    if body.transport == "ftp":
        location = ftp.location(station_id, token)
    else:
        base = (body.upload_base_url or str(request.base_url)).rstrip("/")
        location = f"{base}/uploads/{station_id}/{token}"
    if await asyncio.to_thread(_version, engine, station_id) == "1.6":
        name, payload = "GetDiagnostics", _clean({
            "location": location, "startTime": _iso(body.start_time), "stopTime": _iso(body.stop_time),
            "retries": body.retries, "retryInterval": body.retry_interval})
    else:
        name, payload = "GetLog", _clean({
            "logType": "DiagnosticsLog", "requestId": secrets.randbelow(2**31), "retries": body.retries,
            "retryInterval": body.retry_interval, "log": _clean({
                "remoteLocation": location, "oldestTimestamp": _iso(body.start_time),
                "latestTimestamp": _iso(body.stop_time)})})
    return {"answer": await _command(request, engine, caller, trail, station_id, organisation, name, payload)}


@router.get("/api/stations/{station_id}/firmware")
def maintenance_state(station_id: str, caller: Caller = Depends(current_caller), engine=Depends(engine_of)) -> dict:
    """What the station reported of its firmware and diagnostics, the files it uploaded, its security events."""
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    return {"firmware": station_state.recall(engine, station_id, station_files.FIRMWARE),
            "diagnostics": station_state.recall(engine, station_id, station_files.DIAGNOSTICS),
            "files": station_files.files_of(engine, station_id),
            "security_events": security_log.of_station(engine, station_id)}


@router.get("/api/stations/{station_id}/files/{file_id}")
def file_download(station_id: str, file_id: int, caller: Caller = Depends(current_caller),
                  engine=Depends(engine_of)) -> Response:
    _needs_support_or_stations(caller)
    _station_org(engine, caller, station_id)
    found = station_files.file_content(engine, station_id, file_id)
    if found is None:
        raise HTTPException(404, f"no file {file_id}")
    safe = "".join(ch for ch in found.file_name if ch.isalnum() or ch in "._-") or "file"
    return Response(found.content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.api_route("/uploads/{station_id}/{token}", methods=["POST", "PUT"], include_in_schema=False)
@router.api_route("/uploads/{station_id}/{token}/{file_name}", methods=["POST", "PUT"], include_in_schema=False)
async def upload(station_id: str, token: str, request: Request, file_name: str | None = None,
                 engine=Depends(engine_of)) -> dict:
    """A station's upload: the raw body (PUT, or POST of a file) or a multipart form's first file."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        parts = [v for v in form.values() if hasattr(v, "read")]
        if not parts:
            raise HTTPException(400, "the form carries no file")
        content, file_name = await parts[0].read(), file_name or parts[0].filename
    else:
        content = await request.body()
    stored = await asyncio.to_thread(station_files.receive, engine, station_id, token, file_name, content,
                                     datetime.now(timezone.utc))
    if stored is None:
        raise HTTPException(404, "no upload is expected here")
    return {"stored": stored["file_name"], "size": stored["size"], "sha256": stored["sha256"]}


def register(app: FastAPI) -> None:
    app.include_router(router)
