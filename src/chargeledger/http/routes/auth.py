from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ...access import accounts
from ...access.rights import Caller
from ..deps import LOGIN_COOKIE, bearer_key, current_caller, engine_of

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


async def checked_login(request: Request, email: str, password: str) -> str | None:
    """The one way in, for the API and the login form: throttled, then checked in the bounded password pool."""
    guard = request.app.state.login_guard
    attempt = guard.admit(email, request.client.host if request.client else "unknown")
    engine = request.app.state.engine
    # Only the Argon2 check runs in the password pool's process; the database work stays here.
    stored = await run_in_threadpool(accounts.stored_hash, engine, email)
    if not await guard.matches(attempt, stored, password):
        return None
    guard.give_back(attempt)
    return await run_in_threadpool(accounts.issue_login, engine, email, password, stored)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    # Secure whenever the browser reached us over https (directly, or via the trusted proxy's X-Forwarded-Proto).
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(accounts.LOGIN_LIFETIME.total_seconds()))


@router.post("/api/login")
async def login(body: LoginRequest, request: Request, response: Response) -> dict:
    token = await checked_login(request, body.email, body.password)
    if token is None:
        raise HTTPException(401, "wrong email or password")
    set_login_cookie(request, response, token)
    return {"token": token, "expires_in": int(accounts.LOGIN_LIFETIME.total_seconds())}


@router.post("/api/logout")
def logout(request: Request, response: Response, engine: Engine = Depends(engine_of)) -> dict:
    key = bearer_key(request)
    if key:
        accounts.logout(engine, key)
    response.delete_cookie(LOGIN_COOKIE)
    return {"status": "logged out"}


@router.get("/api/me")
def me(caller: Caller = Depends(current_caller)) -> dict:
    return {"email": caller.email, "rights": sorted(r.value for r in caller.rights),
            "organisations": sorted(caller.organisation_ids), "time_zone": caller.time_zone}
