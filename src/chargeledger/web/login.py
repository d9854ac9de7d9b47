"""Who is looking at a page: the login cookie (or a bearer key); without one the browser goes to the login page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from ..access.accounts import caller_for_key
from ..access.rights import Caller
from ..http.deps import bearer_key


class LoginRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


def page_caller(request: Request) -> Caller:
    key = bearer_key(request)
    caller = caller_for_key(request.app.state.engine, key) if key else None
    if caller is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return caller


def to_login(_request: Request, exc: LoginRequired) -> RedirectResponse:
    # Only local paths go into next=, so the login page cannot be used to bounce people elsewhere.
    target = exc.next_url if exc.next_url.startswith("/") and not exc.next_url.startswith("//") else "/sessions"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
