"""The OCPI response envelope and its status codes; an OcpiError becomes that envelope with its HTTP status."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


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


def install(app: FastAPI, prefix: str = "/ocpi/") -> None:
    """OcpiError answers; and under `prefix`, the framework's own refusals (a bad query parameter, an unknown path,
    a method a route does not take) in the OCPI envelope too, while the rest of the API keeps its own shapes."""
    @app.exception_handler(OcpiError)
    async def _refused(_request: Request, exc: OcpiError) -> JSONResponse:
        return JSONResponse(envelope(status=exc.status, message=exc.message), status_code=exc.http_status)

    invalid = app.exception_handlers.get(RequestValidationError)
    http_error = app.exception_handlers.get(StarletteHTTPException)

    async def _invalid(request: Request, exc: RequestValidationError):
        if request.url.path.startswith(prefix):
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            return JSONResponse(envelope(status=Status.INVALID_PARAMETERS, message=problems), status_code=400)
        return await invalid(request, exc) if invalid else await request_validation_exception_handler(request, exc)

    async def _http(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(prefix):
            return JSONResponse(envelope(status=Status.CLIENT_ERROR, message=str(exc.detail)),
                                status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return await http_error(request, exc) if http_error else await http_exception_handler(request, exc)

    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
