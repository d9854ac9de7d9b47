"""Cross-site request forgery: a browser's cookie alone never changes anything.

A state-changing request that rides on the login cookie must carry the page's token (X-CSRF-Token, derived from
the cookie, which another site can neither read nor compute) and must not come from a foreign Origin. Other ports
of the same host are other origins, though the same site, so SameSite cookies alone do not stop them. Requests with
an API key (Authorization: Bearer) carry no ambient credential and pass.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .deps import LOGIN_COOKIE

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HEADER = "x-csrf-token"
# Logging in is how a browser gets its cookie; a stale cookie must not block it (the Origin check still applies).
LOGIN_PATHS = {"/login", "/api/login"}


def csrf_token(login_token: str) -> str:
    """The token pages send back; a one-way function of the secret login cookie, so nothing is stored."""
    return hashlib.sha256(b"chargeledger-csrf:" + login_token.encode()).hexdigest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _login_cookie(scope: Scope) -> str | None:
    # Starlette's own parser, so this guard sees exactly the cookie the routes will authenticate with.
    return cookie_parser(_header(scope, b"cookie") or "").get(LOGIN_COOKIE)


def foreign_origin(scope: Scope) -> str | None:
    """The Origin (or, without one, the Referer) when it names another host:port than this request's Host."""
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if not source:
        return None
    host = (_header(scope, b"host") or "").lower()
    claimed = urlsplit(source).netloc.lower() if source != "null" else "null"
    return None if claimed and claimed == host else source


class CsrfGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal:
            await JSONResponse({"detail": refusal}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _refusal(scope: Scope) -> str | None:
        if (_header(scope, b"authorization") or "").lower().startswith("bearer "):
            return None  # an API key, sent on purpose; the cookie is not used for this request
        origin = foreign_origin(scope)
        if origin:
            return f"cross-origin request refused (from {origin})"
        cookie = _login_cookie(scope)
        if cookie is None or scope["path"] in LOGIN_PATHS:
            return None  # no ambient credential: the route itself answers 401 if it needs one
        sent = _header(scope, HEADER.encode()) or ""
        if not hmac.compare_digest(sent.encode(), csrf_token(cookie).encode()):
            return "missing or wrong X-CSRF-Token for a request signed in by cookie"
        return None
