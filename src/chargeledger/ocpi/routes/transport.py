"""OCPI transport on the way in: the caller's token, its routing headers, ids echoed, paginated answers."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...http.deps import engine_of
from .. import partners as store
from ..numbers import OcpiJsonResponse
from ..status import OcpiError, Status, envelope, parse_time, unauthorized

PREFIX = "/ocpi"
MAX_LIMIT = 100


_FROM_TO = ((b"ocpi-from-country-code", b"ocpi-to-country-code"), (b"ocpi-from-party-id", b"ocpi-to-party-id"))


class EchoIds:
    """Every OCPI answer carries the request's X-Request-ID and X-Correlation-ID (made up when missing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        sent = {k.lower(): v for k, v in scope["headers"]}
        ids = [(name, sent.get(name) or str(uuid.uuid4()).encode()) for name in (b"x-request-id", b"x-correlation-id")]
        # an answer goes back to whoever asked: through a hub, the party behind it (checked by _check_routing)
        asker = [(to, sent[frm]) for frm, to in _FROM_TO if sent.get(frm)]

        async def with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if len(asker) == 2 and any(k.lower() == _FROM_TO[0][1] for k, _v in headers):
                    headers = [(k, v) for k, v in headers if k.lower() not in {to for _f, to in _FROM_TO}] + asker
                message["headers"] = headers + ids
            await send(message)

        await self.app(scope, receive, with_ids)


def tokens_of(request: Request) -> list[str]:
    """`Authorization: Token <base64>` (2.2.1): the decoded token first, then the value as sent, since many peers
    send the token plain (2.1.1 style) and a plain token may happen to be valid base64."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("token "):
        return []
    value = header[6:].strip()
    found = []
    try:
        decoded = base64.b64decode(value, validate=True).decode()
        if decoded.isprintable() and decoded:
            found.append(decoded)
    except (binascii.Error, UnicodeDecodeError):
        pass
    return found + [value] if value else found


def _caller(request: Request, engine, kinds: set[str]) -> store.Partner:
    candidates = tokens_of(request)
    if not candidates:
        raise unauthorized("send Authorization: Token <base64 token>")
    partner = next((p for p in (store.by_token(engine, t) for t in candidates) if p is not None), None)
    if partner is None or partner.token_kind not in kinds:
        raise unauthorized("unknown token")
    _check_routing(request, partner)
    return partner


def _check_routing(request: Request, partner: store.Partner) -> None:
    """OCPI-from-* must name the partner (or a party behind it, for a hub), OCPI-to-* must name us."""
    frm = (request.headers.get("ocpi-from-country-code"), request.headers.get("ocpi-from-party-id"))
    to = (request.headers.get("ocpi-to-country-code"), request.headers.get("ocpi-to-party-id"))
    if all(frm) and not partner.is_hub and (frm[0].upper(), frm[1].upper()) not in partner.parties():
        raise OcpiError(Status.INVALID_PARAMETERS, f"OCPI-from {frm[0]}/{frm[1]} is not the party of this token")
    if all(to) and (to[0].upper(), to[1].upper()) != (partner.our_country_code, partner.our_party_id):
        raise OcpiError(Status.INVALID_PARAMETERS, f"OCPI-to {to[0]}/{to[1]} is not served with this token")


def sender(request: Request, partner: store.Partner) -> tuple[str, str] | None:
    """The party that sent the request when it is not the partner itself (a party behind a hub), else None."""
    frm = (request.headers.get("ocpi-from-country-code"), request.headers.get("ocpi-from-party-id"))
    if not all(frm) or (frm[0].upper(), frm[1].upper()) == (partner.country_code, partner.party_id):
        return None
    return frm[0].upper(), frm[1].upper()


def any_token(request: Request, engine=Depends(engine_of)) -> store.Partner:
    """Versions and credentials: token A (registering) or token C."""
    return _caller(request, engine, {"A", "C"})


def registered(request: Request, engine=Depends(engine_of)) -> store.Partner:
    """Every functional module: token C only."""
    return _caller(request, engine, {"C"})


def answer(data: Any, partner: store.Partner | None = None, headers: dict[str, str] | None = None,
           status_code: int = 200, status: Status = Status.SUCCESS, message: str | None = None) -> OcpiJsonResponse:
    out = dict(headers or {})
    if partner is not None:
        out.update({"OCPI-from-country-code": partner.our_country_code, "OCPI-from-party-id": partner.our_party_id,
                    "OCPI-to-country-code": partner.country_code, "OCPI-to-party-id": partner.party_id})
    return OcpiJsonResponse(envelope(data, status, message), status_code=status_code, headers=out)


class Page:
    """offset/limit and the date_from/date_to window of a Sender's GET list."""

    def __init__(self, request: Request, date_from: str | None = None, date_to: str | None = None,
                 offset: int = 0, limit: int = MAX_LIMIT):
        if offset < 0 or limit < 0:
            raise OcpiError(Status.INVALID_PARAMETERS, "offset and limit must not be negative")
        self.request = request
        self.offset = offset
        self.limit = min(limit, MAX_LIMIT)
        try:
            self.date_from: datetime | None = parse_time(date_from) if date_from else None
            self.date_to: datetime | None = parse_time(date_to) if date_to else None
        except ValueError:
            raise OcpiError(Status.INVALID_PARAMETERS, "date_from/date_to must be RFC 3339 times") from None

    def within(self, moment: datetime) -> bool:
        return (self.date_from is None or moment >= self.date_from) and (self.date_to is None or
                                                                         moment < self.date_to)

    def within_text(self, last_updated: str) -> bool:
        """The window test on an object already written for the wire (its last_updated as OCPI DateTime)."""
        return self.within(parse_time(last_updated))

    def respond(self, items: list[Any], total: int, partner: store.Partner) -> OcpiJsonResponse:
        """items: this page; total: every object in the window. Link names the next page while there is one."""
        headers = {"X-Total-Count": str(total), "X-Limit": str(self.limit)}
        if self.offset + len(items) < total:
            query = {k: v for k, v in self.request.query_params.items() if k not in ("offset", "limit")}
            query.update(offset=str(self.offset + len(items)), limit=str(self.limit))
            url = str(self.request.url.replace(query=urlencode(query)))
            headers["Link"] = f'<{url}>; rel="next"'
        return answer(items, partner, headers)


async def body_as(request: Request, model: type[BaseModel], **options) -> BaseModel:
    """The request body validated against its OCPI model; anything else is status 2001, not a crash."""
    try:
        raw = await request.json()
    except ValueError:
        raise OcpiError(Status.INVALID_PARAMETERS, "the body is not JSON") from None
    try:
        return model.model_validate(raw, **options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise OcpiError(Status.INVALID_PARAMETERS, f"invalid {model.__name__}: {problems}") from None


