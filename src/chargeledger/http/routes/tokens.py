"""Id tokens over the API: the token book of the caller's organisations (list, add, change, block, import).

Reading needs the support or stations right; changing needs support (blocking a lost card is a support call).
A uid in a path is compared case-insensitively; a caller of several organisations whose uid exists in more than
one names the organisation with `?organisation_id=`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ...access.rights import Caller, Right
from ...directory import tokens as book
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require, scope_organisation

router = APIRouter(tags=["tokens"])
Status = Literal["Accepted", "Blocked", "Expired", "Invalid"]


class TokenFields(BaseModel):
    status: Status | None = None
    expires_at: datetime | None = Field(None, description="with an offset; an Accepted token is Expired after it")
    group_id: str | None = Field(None, max_length=64, description="OCPP parentIdTag / groupIdToken")
    driver_id: str | None = Field(None, max_length=64, description="the owner: a driver of the organisation")
    team_id: str | None = Field(None, max_length=64, description="or a team of the organisation")
    contract_id: str | None = Field(None, max_length=64)
    token_type: str | None = Field(None, description=", ".join(book.TOKEN_TYPES))
    roaming: bool | None = Field(None, description="a partner network's token, accepted at every station")


class NewToken(TokenFields):
    uid: str = Field(..., min_length=1, max_length=64, description="RFID UID or contract id, as the charger sends it")
    organisation_id: str | None = Field(None, description="required when you belong to several organisations")


class TokenChange(TokenFields):
    clear: list[Literal["expires_at", "group_id", "driver_id", "team_id", "contract_id"]] = Field(
        default_factory=list, description="fields to empty")


def _needs_tokens_view(caller: Caller) -> None:
    if not (caller.has(Right.SUPPORT) or caller.has(Right.STATIONS)):
        raise HTTPException(403, "this needs the support or stations right")


def _organisation(caller: Caller, given: str | None) -> str:
    if given:
        scope_organisation(caller, given)
        return given
    if len(caller.organisation_ids) != 1:
        raise HTTPException(422, "you belong to several organisations: give organisation_id")
    return next(iter(caller.organisation_ids))


def _holder(engine, caller: Caller, uid: str, organisation_id: str | None) -> str:
    """The caller's organisation that holds this token; another organisation's token reads as missing."""
    if organisation_id is not None and not caller.sees(organisation_id):
        raise HTTPException(404, f"no token {uid}")
    holders = book.organisations_holding(engine, [organisation_id] if organisation_id else caller.organisation_ids,
                                         uid)
    if not holders:
        raise HTTPException(404, f"no token {uid}")
    if len(holders) > 1:
        raise HTTPException(409, f"token {uid} exists in {', '.join(sorted(holders))}: give organisation_id")
    return holders[0]


def _refused(exc: book.TokenError) -> HTTPException:
    return HTTPException(404 if exc.not_found else 422, str(exc))


def _entry(uid: str, fields: TokenFields, cleared=()) -> book.TokenEntry:
    return book.TokenEntry(uid, fields.status, fields.expires_at, fields.group_id, fields.driver_id, fields.team_id,
                           fields.contract_id, fields.token_type, fields.roaming, frozenset(cleared))


@router.get("/api/tokens")
def token_list(caller: Caller = Depends(current_caller), engine=Depends(engine_of),
               organisation_id: str | None = None, status: Status | None = None,
               search: str | None = Query(None, max_length=64, description="part of the uid, any case"),
               limit: int = Query(1000, ge=1, le=10000), offset: int = Query(0, ge=0)) -> dict:
    _needs_tokens_view(caller)
    scope_organisation(caller, organisation_id)
    orgs = [organisation_id] if organisation_id else caller.organisation_ids
    return {"items": book.listing(engine, orgs, status, search, limit, offset)}


@router.post("/api/tokens", status_code=201)
async def token_add(token: NewToken, caller: Caller = Depends(require(Right.SUPPORT)), engine=Depends(engine_of),
                    trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = _organisation(caller, token.organisation_id)
    try:
        stored = await run_in_threadpool(book.add, engine, organisation, _entry(token.uid, token))
    except book.TokenError as exc:
        raise HTTPException(409 if "exists already" in str(exc) else 422, str(exc)) from None
    await run_in_threadpool(trail.record, "token.add", "token", stored["uid"], organisation,
                            status=stored["status"])
    return stored


@router.post("/api/tokens/import")
async def token_import(text: str = Body(..., media_type="text/csv", description=", ".join(book.IMPORT_COLUMNS)),
                       organisation_id: str | None = None, caller: Caller = Depends(require(Right.SUPPORT)),
                       engine=Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = _organisation(caller, organisation_id)
    try:
        counts = await run_in_threadpool(book.import_csv, engine, organisation, text)
    except book.TokenError as exc:
        raise _refused(exc) from None
    await run_in_threadpool(trail.record, "token.import", "organisation", organisation, organisation, **counts)
    return counts


@router.get("/api/tokens/{uid}")
def token_get(uid: str, organisation_id: str | None = None, caller: Caller = Depends(current_caller),
              engine=Depends(engine_of)) -> dict:
    _needs_tokens_view(caller)
    return book.get(engine, _holder(engine, caller, uid, organisation_id), uid)


@router.patch("/api/tokens/{uid}")
async def token_change(uid: str, change: TokenChange, organisation_id: str | None = None,
                       caller: Caller = Depends(require(Right.SUPPORT)), engine=Depends(engine_of),
                       trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = await run_in_threadpool(_holder, engine, caller, uid, organisation_id)
    try:
        stored = await run_in_threadpool(book.change, engine, organisation, _entry(uid, change, change.clear))
    except book.TokenError as exc:
        raise _refused(exc) from None
    await run_in_threadpool(trail.record, "token.change", "token", stored["uid"], organisation,
                            **change.model_dump(exclude_none=True, mode="json"))
    return stored


@router.post("/api/tokens/{uid}/block")
async def token_block(uid: str, organisation_id: str | None = None, caller: Caller = Depends(require(Right.SUPPORT)),
                      engine=Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    organisation = await run_in_threadpool(_holder, engine, caller, uid, organisation_id)
    stored = await run_in_threadpool(book.block, engine, organisation, uid)
    await run_in_threadpool(trail.record, "token.block", "token", stored["uid"], organisation)
    return stored


@router.delete("/api/tokens/{uid}")
async def token_remove(uid: str, organisation_id: str | None = None, caller: Caller = Depends(require(Right.SUPPORT)),
                       engine=Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Remove a token from the book; block it instead to keep telling chargers it is refused."""
    organisation = await run_in_threadpool(_holder, engine, caller, uid, organisation_id)
    removed = await run_in_threadpool(book.remove, engine, organisation, uid)
    await run_in_threadpool(trail.record, "token.remove", "token", removed["uid"], organisation)
    return removed


def register(app: FastAPI) -> None:
    app.include_router(router)
