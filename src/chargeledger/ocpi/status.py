"""The OCPI response envelope and its status codes; an OcpiError becomes that envelope with its HTTP status."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class Status(IntEnum):
    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    CLIENT_API_UNUSABLE = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003


class OcpiError(Exception):
    """A refusal the partner can act on: an OCPI status code, a message, and the HTTP status that carries them."""

    def __init__(self, status: Status, message: str, http_status: int = 400):
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status


def unauthorized(message: str) -> OcpiError:
    return OcpiError(Status.CLIENT_ERROR, message, 401)


def not_found(what: str, status: Status = Status.UNKNOWN_LOCATION) -> OcpiError:
    return OcpiError(status, f"unknown {what}", 404)


def ocpi_time(moment: datetime) -> str:
    """OCPI DateTime: UTC with a Z (the spec: +00:00 is not the same as UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An OCPI DateTime; no zone designator means UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def envelope(data: Any = None, status: Status = Status.SUCCESS, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": int(status), "timestamp": ocpi_time(datetime.now(timezone.utc))}
    if data is not None:
        body["data"] = data
    if message or status != Status.SUCCESS:
        body["status_message"] = message or status.name.replace("_", " ").lower()
    else:
        body["status_message"] = "Success"
    return body


def install(app: FastAPI) -> None:
    @app.exception_handler(OcpiError)
    async def _refused(_request: Request, exc: OcpiError) -> JSONResponse:
        return JSONResponse(envelope(status=exc.status, message=exc.message), status_code=exc.http_status)
