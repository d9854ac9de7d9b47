"""tokens, Receiver interface: a partner pushes its drivers' tokens (PUT a whole Token, PATCH a change) and reads
back what we hold. A partner writes only tokens of its own party (a hub: of any party behind it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from ...http.deps import engine_of
from .. import partners as store
from .. import tokens
from ..objects.tokens import Token
from ..registration import VERSION
from ..status import OcpiError, Status, not_found
from .transport import PREFIX, answer, body_as, registered
from .versions import served

PATH = f"/cpo/{VERSION}/tokens"
router = APIRouter(prefix=PREFIX + PATH, tags=["OCPI"])
served("tokens", "RECEIVER", PATH)


def _own(partner: store.Partner, country_code: str, party_id: str) -> None:
    if not partner.is_hub and (country_code.upper(), party_id.upper()) not in partner.parties():
        raise OcpiError(Status.CLIENT_ERROR, "tokens of another party cannot be written with this token", 403)


@router.get("/{country_code}/{party_id}/{token_uid}")
def token_get(country_code: str, party_id: str, token_uid: str, type: str = "RFID",  # noqa: A002 - OCPI's name
              partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    found = tokens.get(engine, partner.id, country_code, party_id, token_uid, type)
    if found is None:
        raise not_found("token", Status.UNKNOWN_TOKEN)
    return answer(found, partner)


@router.put("/{country_code}/{party_id}/{token_uid}")
async def token_put(request: Request, country_code: str, party_id: str, token_uid: str,
                    type: str = "RFID",  # noqa: A002 - OCPI's name
                    partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    _own(partner, country_code, party_id)
    token = await body_as(request, Token)
    # all three are CiString (2.2.1 types, CiString: case insensitive): an implementation that writes them in
    # lower case (extrawest-ocpi does) names the URL's token; the store keys uids case-insensitively too
    if (token.country_code.upper(), token.party_id.upper(), token.uid.upper(), token.type) != (
            country_code.upper(), party_id.upper(), token_uid.upper(), type):
        raise OcpiError(Status.INVALID_PARAMETERS, "the Token's country_code, party_id, uid and type must be the URL's")
    with engine.begin() as conn:
        tokens.put(conn, partner.id, token)
    return answer(None, partner)


@router.patch("/{country_code}/{party_id}/{token_uid}")
async def token_patch(request: Request, country_code: str, party_id: str, token_uid: str,
                      type: str = "RFID",  # noqa: A002 - OCPI's name
                      partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    _own(partner, country_code, party_id)
    try:
        changes = await request.json()
    except ValueError:
        raise OcpiError(Status.INVALID_PARAMETERS, "the body is not JSON") from None
    if not isinstance(changes, dict) or "last_updated" not in changes:
        raise OcpiError(Status.INVALID_PARAMETERS, "a PATCH must carry last_updated")
    if {k for k in ("country_code", "party_id", "uid", "type") if k in changes and
            str(changes[k]).upper() != {"country_code": country_code, "party_id": party_id, "uid": token_uid,
                                        "type": type}[k].upper()}:
        raise OcpiError(Status.INVALID_PARAMETERS, "a PATCH cannot change the token's identity")
    try:
        merged = tokens.patch(engine, partner.id, country_code, party_id, token_uid, type, changes)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise OcpiError(Status.INVALID_PARAMETERS, f"invalid Token after the PATCH: {problems}") from None
    if merged is None:
        raise not_found("token", Status.UNKNOWN_TOKEN)
    return answer(None, partner)
