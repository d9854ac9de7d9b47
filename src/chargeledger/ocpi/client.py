"""Requests to a partner: the token (base64, as 2.2.1 requires), request and correlation ids, the routing headers,
and the partner's OCPI envelope read back into data or a clear error."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from . import allowed

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
HUB_RETRY = (4002, 4003)


class PartnerRefused(Exception):
    """The partner could not be reached, or answered with an error (HTTP or OCPI status): its answer is kept."""

    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry  # False: the partner refused this request itself; sending it again will not help


def token_header(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


@dataclass(frozen=True)
class Route:
    """Who speaks to whom: our party and the partner's, sent as OCPI-from-* and OCPI-to-* on every request."""
    our_country_code: str
    our_party_id: str
    their_country_code: str
    their_party_id: str

    def headers(self) -> dict[str, str]:
        return {"OCPI-from-country-code": self.our_country_code, "OCPI-from-party-id": self.our_party_id,
                "OCPI-to-country-code": self.their_country_code, "OCPI-to-party-id": self.their_party_id}


def call(method: str, url: str, token: str, route: Route | None, body: Any = None,
         correlation_id: str | None = None, client: httpx.Client | None = None) -> Any:
    """One request; returns the envelope's `data`. Raises PartnerRefused with the partner's answer otherwise, and
    without sending anything when the URL is not one the operator allows (ocpi/allowed.py)."""
    try:
        allowed.check(url)
    except allowed.UrlRefused as exc:
        raise PartnerRefused(f"{method} {url}: not called: {exc}", retry=exc.retry) from None
    headers = {"Authorization": token_header(token), "X-Request-ID": str(uuid.uuid4()),
               "X-Correlation-ID": correlation_id or str(uuid.uuid4())}
    if route is not None:
        headers.update(route.headers())
    # a body already written as OCPI JSON text (a queued push, exact numbers) goes as it is
    sending = {"content": body, "headers": {**headers, "Content-Type": "application/json"}} \
        if isinstance(body, str) else {"json": body, "headers": headers}
    try:
        if client is not None:
            answer = client.request(method, url, **sending)
        else:
            with httpx.Client(timeout=TIMEOUT) as own:
                answer = own.request(method, url, **sending)
    except httpx.HTTPError as exc:
        raise PartnerRefused(f"{method} {url}: {type(exc).__name__}: {exc}", retry=True) from None
    return _read(method, url, answer)


def _read(method: str, url: str, answer: httpx.Response) -> Any:
    text = answer.text[:1000]
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code >= 500 or answer.status_code in (401, 403, 404, 408, 429) and not isinstance(body, dict):
        raise PartnerRefused(f"{method} {url}: HTTP {answer.status_code}: {text}", retry=True)
    if not isinstance(body, dict) or "status_code" not in body:
        raise PartnerRefused(f"{method} {url}: HTTP {answer.status_code}, not an OCPI answer: {text}",
                             retry=answer.status_code >= 500)
    status = body.get("status_code")
    if answer.status_code >= 400 or not isinstance(status, int) or not 1000 <= status < 2000:
        # 3xxx: the partner's own trouble, try again later; 2xxx: it refuses this request as it is. From a hub,
        # 4002/4003 (the party behind it timed out or is not connected) pass; 4000/4001 (unknown party) do not.
        retry = answer.status_code in (401, 408, 429) or isinstance(status, int) and (
            3000 <= status < 4000 or status in HUB_RETRY)
        raise PartnerRefused(f"{method} {url}: HTTP {answer.status_code}, OCPI {status}: "
                             f"{body.get('status_message', '')}", retry=retry)
    return body.get("data")
