"""Input no database can take is the caller's error (400 with a reason), never a 500.

NUL characters (PostgreSQL text cannot hold them) are refused before any route runs; integers beyond 64 bits
(SQLite raises OverflowError, PostgreSQL a DataError) are mapped where they surface, for every route at once.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class NulGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"\x00" in unquote_to_bytes(scope.get("query_string", b""))
                                        or "\x00" in scope["path"]):
            await JSONResponse({"detail": "the URL contains a NUL character"}, 400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(NulGuard)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: value refused by the database: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": "a value in the request is out of range for this field"}, 400)
