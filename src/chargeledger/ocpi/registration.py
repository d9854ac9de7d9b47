"""The credentials exchange, both directions.

A partner registers with us: it calls POST credentials with our token A and its token B; we fetch its versions and
2.2.1 endpoints with token B, issue token C, retire token A. We register with a partner: we fetch its versions with
its token A, POST our credentials (our token B) and keep the token C it answers with.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from ..storage.tables import organisations
from . import allowed
from . import partners as store
from .client import PartnerRefused, Route, call
from .models import Credentials, CredentialsRole, Version, VersionDetails
from .status import OcpiError, Status

VERSION = "2.2.1"


def our_credentials(engine: Engine, partner: store.Partner, token: str, versions_url: str) -> dict[str, Any]:
    with engine.connect() as conn:
        name = conn.execute(select(organisations.c.name).where(
            organisations.c.id == partner.organisation_id)).scalar()
    role = CredentialsRole(role="CPO", business_details={"name": name or partner.organisation_id},
                           party_id=partner.our_party_id, country_code=partner.our_country_code)
    return Credentials(token=token, url=versions_url, roles=[role]).model_dump(exclude_none=True)


def _route(partner: store.Partner) -> Route:
    return Route(partner.our_country_code, partner.our_party_id, partner.country_code, partner.party_id)


def fetch_endpoints(partner: store.Partner, versions_url: str, token: str) -> tuple[str, list[dict]]:
    """The partner's 2.2.1 endpoints: its versions list, then that version's details."""
    try:
        listed = [Version.model_validate(v) for v in call("GET", versions_url, token, _route(partner)) or []]
        chosen = next((v for v in listed if v.version == VERSION), None)
        if chosen is None:
            raise OcpiError(Status.UNSUPPORTED_VERSION,
                            f"{versions_url} offers {[v.version for v in listed]}, not {VERSION}")
        details = VersionDetails.model_validate(call("GET", chosen.url, token, _route(partner)))
        for endpoint in details.endpoints:  # every URL we would call later, refused now rather than at each push
            allowed.check(endpoint.url)
    except (PartnerRefused, ValidationError, TypeError, allowed.UrlRefused) as exc:
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"cannot use your versions at {versions_url}: {exc}") from None
    return VERSION, [e.model_dump() for e in details.endpoints]


def accept(engine: Engine, partner: store.Partner, theirs: Credentials, versions_url: str) -> dict[str, Any]:
    """Their POST (token A) or PUT (token C): fetch their endpoints with their new token, answer with a new token C."""
    version, endpoints = fetch_endpoints(partner, theirs.url, theirs.token)
    token_c = store.new_token()
    roles = [r.model_dump(exclude_none=True) for r in theirs.roles]
    with engine.begin() as conn:
        store.record_registration(conn, partner.id, theirs.token, theirs.url, version, endpoints, roles, token_c)
    return our_credentials(engine, partner, token_c, versions_url)


def register_with(engine: Engine, partner: store.Partner, versions_url: str, token_a: str,
                  our_versions_url: str) -> store.Partner:
    """We register with the partner (it gave us token A out of band)."""
    version, endpoints = fetch_endpoints(partner, versions_url, token_a)
    credentials_url = next((e["url"] for e in endpoints if e["identifier"] == "credentials"), None)
    if credentials_url is None:
        raise OcpiError(Status.NO_MATCHING_ENDPOINTS, f"{versions_url} {version} has no credentials endpoint")
    token_b = store.new_token()
    # Token B is what the partner will call us with: it takes the place of a token C we issue.
    with engine.begin() as conn:
        conn.execute(store.ocpi_partners.update().where(store.ocpi_partners.c.id == partner.id).values(
            token_c_hash=store.digest(token_b)))
    try:
        answer = Credentials.model_validate(call("POST", credentials_url, token_a, _route(partner),
                                                 our_credentials(engine, partner, token_b, our_versions_url)))
    except (PartnerRefused, ValidationError) as exc:
        raise OcpiError(Status.CLIENT_API_UNUSABLE, f"{credentials_url} refused our credentials: {exc}") from None
    version, endpoints = fetch_endpoints(partner, answer.url, answer.token)
    with engine.begin() as conn:
        store.record_registration(conn, partner.id, answer.token, answer.url, version, endpoints,
                                  [r.model_dump(exclude_none=True) for r in answer.roles], None)
        conn.execute(store.ocpi_partners.update().where(store.ocpi_partners.c.id == partner.id).values(
            token_a_hash=None))
    return store.get(engine, partner.id)
