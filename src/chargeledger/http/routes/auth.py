from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from ...access import accounts
from ...access.rights import Caller
from ..deps import LOGIN_COOKIE, bearer_key, current_caller, engine_of

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    email: str
    password: str


@router.post("/api/login")
def login(body: LoginRequest, response: Response, engine: Engine = Depends(engine_of)) -> dict:
    token = accounts.login(engine, body.email, body.password)
    if token is None:
        raise HTTPException(401, "wrong email or password")
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax",
                        max_age=int(accounts.LOGIN_LIFETIME.total_seconds()))
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
