"""credentials: a partner registers (POST with token A), updates (PUT with token C) and unregisters (DELETE).

The exchange calls the partner back (its versions, with its token) before answering, so those calls run off the
event loop."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from ...http.deps import engine_of
from .. import partners as store
from ..models import Credentials
from ..registration import VERSION, accept, our_credentials
from ..status import OcpiError, Status
from .transport import PREFIX, answer, any_token, body_as, tokens_of
from .versions import versions_url

router = APIRouter(prefix=f"{PREFIX}/{VERSION}", tags=["OCPI"])


def _refuse(message: str) -> OcpiError:
    return OcpiError(Status.CLIENT_ERROR, message, 405)


@router.get("/credentials")
def read(request: Request, partner: store.Partner = Depends(any_token), engine=Depends(engine_of)):
    token = next((t for t in tokens_of(request) if store.by_token(engine, t) is not None), "")  # the one it used
    return answer(our_credentials(engine, partner, token, versions_url(request)), partner)


@router.post("/credentials")
async def register(request: Request, partner: store.Partner = Depends(any_token), engine=Depends(engine_of)):
    if partner.token_kind != "A":
        raise _refuse("already registered: update with PUT, or DELETE first")
    return await _exchange(request, partner, engine)


@router.put("/credentials")
async def update(request: Request, partner: store.Partner = Depends(any_token), engine=Depends(engine_of)):
    if partner.token_kind != "C":
        raise _refuse("not registered yet: register with POST")
    return await _exchange(request, partner, engine)


@router.delete("/credentials")
def unregister(partner: store.Partner = Depends(any_token), engine=Depends(engine_of)):
    if partner.token_kind != "C":
        raise _refuse("not registered")
    store.unregister(engine, partner.id)
    return answer(None, partner)


async def _exchange(request: Request, partner: store.Partner, engine):
    theirs = await body_as(request, Credentials)
    ours = await asyncio.to_thread(accept, engine, partner, theirs, versions_url(request))
    return answer(ours, partner)
