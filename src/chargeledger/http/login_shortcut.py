"""A login from an address that has spent its failures is answered 429 before anything else looks at it.

Such an address gets 429 anyway (`LoginGuard.admit`), but only after the middlewares, the router, FastAPI's
dependencies and the body's parsing: about a millisecond of the interpreter lock per request, which a one-process
`chargeledger serve` shares with the chargers' gateway thread. Here the answer is written from the path, the method
and the client address alone, without reading the body. The guard's bookkeeping is unchanged: this only looks.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from .login_guard import LoginGuard

LOGIN_PATHS = frozenset({"/api/login", "/login"})


class LoginShortcut:
    def __init__(self, app: ASGIApp, guard: LoginGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in LOGIN_PATHS:
            client = scope.get("client")
            retry = self.guard.address_spent(client[0] if client else "unknown")
            if retry is not None:
                await _too_many(send, scope["path"], retry)
                return
        await self.app(scope, receive, send)


async def _too_many(send: Send, path: str, retry: int) -> None:
    detail = f"too many failed logins from this address; try again in {retry} s"
    if path == "/api/login":
        body, kind = json.dumps({"detail": detail}).encode(), b"application/json"
    else:  # the form: a person reads it
        body, kind = detail.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(retry).encode())]})
    await send({"type": "http.response.body", "body": body})
