"""Request dependencies: the engine, and who is calling (API key or login token, Bearer or cookie)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from ..access.accounts import caller_for_key
from ..access.rights import Caller, Right

LOGIN_COOKIE = "chargeledger_login"


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(LOGIN_COOKIE)


def current_caller(request: Request, engine: Engine = Depends(engine_of)) -> Caller:
    key = bearer_key(request)
    if not key:
        raise HTTPException(401, "authentication required: send Authorization: Bearer <API key>")
    caller = caller_for_key(engine, key)
    if caller is None:
        raise HTTPException(401, "the API key or login is unknown, revoked or expired")
    return caller


def require(*rights: Right):
    def check(caller: Caller = Depends(current_caller)) -> Caller:
        missing = [r.value for r in rights if not caller.has(r)]
        if missing:
            raise HTTPException(403, f"this needs the {' and '.join(missing)} right")
        return caller
    return check


def aware(value: datetime | None, name: str) -> datetime | None:
    """A time from a query string must carry its offset: we store UTC and will not guess the caller's zone."""
    if value is not None and value.tzinfo is None:
        raise HTTPException(400, f"{name} needs a time zone offset, for example 2024-01-01T00:00:00Z")
    return value


def scope_organisation(caller: Caller, organisation_id: str | None) -> None:
    """A filter on an organisation outside the caller's scope is an error, not an empty result."""
    if organisation_id and not caller.sees(organisation_id):
        raise HTTPException(403, f"organisation {organisation_id} is outside your organisations")
