"""The partner store: invite a partner with a token A, find a caller by its token, record the credentials exchange.

Tokens we issue are random (secrets.token_urlsafe) and stored as sha256, like API keys; the token a partner gives
us is stored as sent, since we present it on every request to that partner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.engine import Connection

from ..storage.tables import evses, ocpi_partners, organisations, stations

INVITED, REGISTERED, UNREGISTERED = "invited", "registered", "unregistered"


class PartnerError(ValueError):
    pass


@dataclass(frozen=True)
class Partner:
    id: int
    organisation_id: str
    name: str
    country_code: str
    party_id: str
    our_country_code: str
    our_party_id: str
    status: str
    their_token: str | None
    their_versions_url: str | None
    version: str | None
    endpoints: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    registered_at: datetime | None
    # which of our tokens the current request came with: "A" (registration) or "C" (registered)
    token_kind: str | None = None

    def endpoint(self, module: str, role: str = "RECEIVER", as_given: bool = False) -> str | None:
        """Without a trailing slash, for a path to follow; `as_given`: the URL as the partner wrote it, for a
        request to the module's URL itself (a CDR's POST), which a server whose URLs end with / would answer with a
        redirect (FastAPI's, as extrawest-ocpi serves them) if the slash were taken off."""
        for item in self.endpoints:
            if item.get("identifier") == module and item.get("role", role) == role:
                return item["url"] if as_given else item["url"].rstrip("/")
        return None

    @property
    def is_hub(self) -> bool:
        return any(r.get("role") == "HUB" for r in self.roles)

    def parties(self) -> set[tuple[str, str]]:
        """Every party this partner speaks for: its own, and each role of its credentials."""
        found = {(self.country_code.upper(), self.party_id.upper())}
        found |= {(r.get("country_code", "").upper(), r.get("party_id", "").upper()) for r in self.roles}
        return found


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]: inside CiString(64)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_partner(row, token_kind: str | None = None) -> Partner:
    return Partner(row.id, row.organisation_id, row.name, row.country_code, row.party_id, row.our_country_code,
                   row.our_party_id, row.status, row.their_token, row.their_versions_url, row.version,
                   list(row.endpoints or []), list(row.roles or []), row.registered_at, token_kind)


def our_party_default(conn: Connection, organisation_id: str) -> tuple[str, str]:
    """The operator's CPO party: the country and operator part of its first EVSE-ID (NL*ACM*E1*1 -> NL, ACM),
    else its country and the first three letters of its id."""
    org = conn.execute(select(organisations.c.country).where(organisations.c.id == organisation_id)).first()
    if org is None:
        raise PartnerError(f"no organisation {organisation_id}")
    evse = conn.execute(select(evses.c.evse_id).join(stations, stations.c.id == evses.c.station_id)
                        .where(stations.c.organisation_id == organisation_id).order_by(evses.c.evse_id)
                        .limit(1)).scalar()
    if evse:
        parts = evse.replace("-", "*").split("*")
        if len(parts) >= 2 and len(parts[0]) == 2 and len(parts[1]) == 3:
            return parts[0].upper(), parts[1].upper()
    letters = "".join(c for c in organisation_id.upper() if c.isalnum())
    return org.country.upper(), letters[:3].ljust(3, "X")


def _party(value: str, length: int, what: str) -> str:
    value = value.strip().upper()
    if len(value) != length or not value.isalnum():
        raise PartnerError(f"{what} must be {length} letters or digits, not {value!r}")
    return value


def invite(engine: Engine, organisation_id: str, name: str, country_code: str, party_id: str,
           our_country_code: str | None = None, our_party_id: str | None = None) -> tuple[Partner, str]:
    """A partner that will register with the returned token A (shown once)."""
    country_code, party_id = _party(country_code, 2, "--country-code"), _party(party_id, 3, "--party-id")
    token_a = new_token()
    now = _utcnow()
    with engine.begin() as conn:
        ours = our_party_default(conn, organisation_id)
        ours = (_party(our_country_code or ours[0], 2, "our country code"),
                _party(our_party_id or ours[1], 3, "our party id"))
        row_id = conn.execute(insert(ocpi_partners).values(
            organisation_id=organisation_id, name=name, country_code=country_code, party_id=party_id,
            our_country_code=ours[0], our_party_id=ours[1], status=INVITED, token_a_hash=digest(token_a),
            created_at=now, updated_at=now)).inserted_primary_key[0]
    return get(engine, row_id), token_a


def get(engine: Engine, partner_id: int) -> Partner:
    with engine.connect() as conn:
        row = conn.execute(select(ocpi_partners).where(ocpi_partners.c.id == partner_id)).first()
    if row is None:
        raise PartnerError(f"no OCPI partner {partner_id}")
    return to_partner(row)


def by_token(engine: Engine, token: str) -> Partner | None:
    """The partner a request's token belongs to: its token C once registered, its token A before."""
    hashed = digest(token)
    p = ocpi_partners.c
    with engine.connect() as conn:
        row = conn.execute(select(ocpi_partners).where(or_(p.token_a_hash == hashed, p.token_c_hash == hashed))
                           ).first()
    if row is None or row.status == UNREGISTERED:
        return None
    return to_partner(row, "C" if row.token_c_hash == hashed else "A")


def listing(engine: Engine, organisation_id: str | None = None) -> list[Partner]:
    query = select(ocpi_partners).order_by(ocpi_partners.c.id)
    if organisation_id:
        query = query.where(ocpi_partners.c.organisation_id == organisation_id)
    with engine.connect() as conn:
        return [to_partner(r) for r in conn.execute(query)]


def registered(engine: Engine, organisation_id: str) -> list[Partner]:
    return [p for p in listing(engine, organisation_id) if p.status == REGISTERED and p.endpoints]


def record_registration(conn: Connection, partner_id: int, their_token: str, versions_url: str, version: str,
                        endpoints: list[dict], roles: list[dict], token_c: str | None) -> None:
    """The exchange's outcome: the partner's token and endpoints; our token C replaces token A (which is retired).
    token_c None: we registered with the partner (we hold its token C; our token stays as it was)."""
    now = _utcnow()
    values: dict[str, Any] = {"their_token": their_token, "their_versions_url": versions_url, "version": version,
                              "endpoints": endpoints, "roles": roles, "status": REGISTERED, "updated_at": now}
    if token_c is not None:
        values.update(token_c_hash=digest(token_c), token_a_hash=None)
    current = conn.execute(select(ocpi_partners.c.registered_at).where(ocpi_partners.c.id == partner_id)).scalar()
    if current is None:
        values["registered_at"] = now
    conn.execute(update(ocpi_partners).where(ocpi_partners.c.id == partner_id).values(**values))


def unregister(engine: Engine, partner_id: int) -> None:
    """After DELETE: every token of ours is refused and theirs forgotten."""
    with engine.begin() as conn:
        conn.execute(update(ocpi_partners).where(ocpi_partners.c.id == partner_id).values(
            status=UNREGISTERED, token_a_hash=None, token_c_hash=None, their_token=None, updated_at=_utcnow()))
