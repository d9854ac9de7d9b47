"""Tokens of roaming partners: stored as they push them (PUT/PATCH), and how a charger's token is decided by them.

A charger's Authorize or StartTransaction with a uid the operator's own token book does not know is decided here:
a token a partner of the station's organisation pushed (valid, and not whitelist NEVER) is Accepted, an invalid one
Blocked; a NEVER token, or an unknown uid, is put to the partners that offer real-time authorization (their tokens
Sender endpoint: POST {uid}/authorize), first ALLOWED wins. A partner that does not answer within AUTHORIZE_TIMEOUT
is skipped: the charger waits at most that long per partner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.people import token_key
from ..storage.tables import ocpi_partners, ocpi_tokens
from . import partners as store
from .client import PartnerRefused, Route, call
from .numbers import wire
from .objects.tokens import AuthorizationInfo, Token

log = logging.getLogger(__name__)
AUTHORIZE_TIMEOUT = httpx.Timeout(2.0, connect=1.0)


@dataclass(frozen=True)
class RoamingToken:
    partner_id: int
    token: dict[str, Any]  # the Token object, as the partner sent it
    valid: bool
    whitelist: str
    authorization_reference: str | None = None


def _row_values(partner_id: int, token: Token, raw: dict[str, Any]) -> dict[str, Any]:
    return {"partner_id": partner_id, "country_code": token.country_code.upper(), "party_id": token.party_id.upper(),
            "uid": token.uid, "uid_key": token_key(token.uid), "type": token.type, "contract_id": token.contract_id,
            "valid": token.valid, "whitelist": token.whitelist, "token": raw, "last_updated": token.last_updated}


def _key(partner_id: int, country_code: str, party_id: str, uid: str, kind: str):
    t = ocpi_tokens.c
    return (t.partner_id == partner_id, t.country_code == country_code.upper(), t.party_id == party_id.upper(),
            t.uid_key == token_key(uid), t.type == kind)


def get(engine: Engine, partner_id: int, country_code: str, party_id: str, uid: str,
        kind: str = "RFID") -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(ocpi_tokens.c.token).where(*_key(partner_id, country_code, party_id, uid, kind))
                           ).first()
    return row[0] if row else None


def put(conn: Connection, partner_id: int, token: Token) -> None:
    raw = wire(token.model_dump(mode="json", exclude_none=True))
    values = _row_values(partner_id, token, raw)
    done = conn.execute(update(ocpi_tokens).where(*_key(partner_id, token.country_code, token.party_id, token.uid,
                                                        token.type)).values(**values)).rowcount
    if not done:
        conn.execute(insert(ocpi_tokens).values(**values))


def patch(engine: Engine, partner_id: int, country_code: str, party_id: str, uid: str, kind: str,
          changes: dict[str, Any]) -> Token | None:
    """Merge a PATCH into the stored token; None if there is none. The result is validated as a whole."""
    with engine.begin() as conn:
        row = conn.execute(select(ocpi_tokens.c.token).where(*_key(partner_id, country_code, party_id, uid, kind))
                           .with_for_update()).first()
        if row is None:
            return None
        merged = Token.model_validate({**row[0], **changes})
        put(conn, partner_id, merged)
    return merged


# -- a charger's token --------------------------------------------------------------------------------------------
def _partners_of(conn: Connection, organisation_id: str) -> list[store.Partner]:
    rows = conn.execute(select(ocpi_partners).where(ocpi_partners.c.organisation_id == organisation_id,
                                                    ocpi_partners.c.status == store.REGISTERED))
    return [store.to_partner(r) for r in rows]


def find(engine: Engine, uid: str, organisation_id: str) -> RoamingToken | None:
    """A token one of the organisation's registered partners pushed, newest first."""
    t = ocpi_tokens.c
    with engine.connect() as conn:
        row = conn.execute(select(ocpi_tokens).join(ocpi_partners, ocpi_partners.c.id == t.partner_id).where(
            t.uid_key == token_key(uid), ocpi_partners.c.organisation_id == organisation_id,
            ocpi_partners.c.status == store.REGISTERED).order_by(t.last_updated.desc()).limit(1)).first()
    return RoamingToken(row.partner_id, row.token, row.valid, row.whitelist) if row else None


def authorize(engine: Engine, uid: str, organisation_id: str, location_id: str | None = None,
              evse_uid: str | None = None) -> RoamingToken | None:
    """Real-time authorization with each partner that offers it; the token it answers with is stored."""
    with engine.connect() as conn:
        candidates = [p for p in _partners_of(conn, organisation_id) if p.endpoint("tokens", "SENDER")]
    body = {"location_id": location_id, "evse_uids": [evse_uid] if evse_uid else None} if location_id else None
    for partner in candidates:
        url = f"{partner.endpoint('tokens', 'SENDER')}/{quote(uid, safe='')}/authorize?type=RFID"
        route = Route(partner.our_country_code, partner.our_party_id, partner.country_code, partner.party_id)
        try:
            with httpx.Client(timeout=AUTHORIZE_TIMEOUT) as client:
                info = AuthorizationInfo.model_validate(call("POST", url, partner.their_token or "", route,
                                                             wire(body) if body else None, client=client))
        except (PartnerRefused, ValidationError) as exc:
            log.info("real-time authorization of a token at partner %s: %s", partner.id, exc)
            continue
        if info.allowed == "ALLOWED":
            with engine.begin() as conn:
                put(conn, partner.id, info.token)
            return RoamingToken(partner.id, info.token.model_dump(mode="json", exclude_none=True), True,
                                info.token.whitelist, info.authorization_reference)
    return None


def decide(engine: Engine, uid: str, organisation_id: str) -> tuple[str, RoamingToken] | None:
    """The OCPP status of a uid the operator's book does not know: (Accepted | Blocked, token), or None (Invalid)."""
    known = find(engine, uid, organisation_id)
    if known is not None and not known.valid:
        return "Blocked", known
    if known is not None and known.whitelist != "NEVER":
        return "Accepted", known
    asked = authorize(engine, uid, organisation_id)
    return ("Accepted", asked) if asked else None

