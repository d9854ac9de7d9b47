"""Authorising an id token against the id_tokens table: Accepted, Blocked, Expired or Invalid (unknown).

A token belongs to an organisation (its driver's): it is known only at that organisation's stations, and at every
station when it is a roaming token (a partner network's driver, billed through roaming). Elsewhere it is Invalid,
exactly like an unknown one, so a station cannot tell another organisation's tokens from made-up ones. Tokens are
compared case-insensitively (OCPP CiString); the station's own organisation's token wins over a roaming one.

A token already in a running transaction elsewhere is answered ConcurrentTx when it starts another (1.6
StartTransaction, 2.0.1 TransactionEvent): one card, one vehicle at a time, unless the operator allows more
(GatewaySettings.concurrent_transactions). The charger may stop at once or charge anyway; the session is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, case, func, not_, select

from ..adapters import installed
from ..domain.people import token_key
from ..domain.projection import SessionStatus
from ..storage.tables import id_tokens, sessions


@dataclass(frozen=True)
class TokenCheck:
    status: str
    driver_id: str | None = None
    contract_id: str | None = None
    expires_at: datetime | None = None
    group_id: str | None = None  # parentIdTag (1.6) / groupIdToken (2.0.1)
    uid: str | None = None  # as the book spells it

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


def check_token(engine: Engine, uid: str | None, now: datetime, station_organisation: str) -> TokenCheck:
    if not uid:
        return TokenCheck("Invalid")
    own = id_tokens.c.organisation_id == station_organisation
    with engine.connect() as conn:
        row = conn.execute(select(id_tokens).where(id_tokens.c.uid_key == token_key(uid), own | id_tokens.c.roaming)
                           .order_by(case((own, 0), else_=1)).limit(1)).first()
    if row is None:
        return _roaming(engine, uid, station_organisation)
    return TokenCheck(status_at(row.status, row.expires_at, now), row.driver_id, row.contract_id, row.expires_at,
                      row.group_id, row.uid)


def status_at(status: str, expires_at: datetime | None, now: datetime) -> str:
    """An Accepted token past its expiry date is Expired."""
    if status == "Accepted" and expires_at is not None and expires_at <= now:
        return "Expired"
    return status


# started and not stopped: the token is in a transaction (PENDING/STARTING sessions have none yet)
_IN_TRANSACTION = (SessionStatus.CHARGING.value, SessionStatus.PAUSED.value, SessionStatus.STOPPING.value)


def in_transaction_elsewhere(engine: Engine, uid: str, station_id: str, connector: int | None,
                             own_key: str | None = None) -> int | None:
    """The session of a running transaction this token is in, other than on this station's connector (a new
    transaction there ends the old one) and other than the transaction being reported (`own_key`)."""
    query = select(sessions.c.id).where(
        sessions.c.status.in_(_IN_TRANSACTION), func.lower(sessions.c.id_token) == token_key(uid),
        not_(and_(sessions.c.station_id == station_id, sessions.c.connector_id == connector)))
    if own_key is not None:
        query = query.where(sessions.c.external_key != own_key)
    with engine.connect() as conn:
        return conn.execute(query.order_by(sessions.c.id).limit(1)).scalar()


# Adapters that decide tokens the operator's book does not know (live OCPI: tokens its roaming partners pushed, or
# real-time authorization); each exposes decide(engine, uid, organisation_id) -> (status, token) | None.
_DECIDERS = ("chargeledger.ocpi.tokens",)


def _roaming(engine: Engine, uid: str, station_organisation: str) -> TokenCheck:
    for module in installed(_DECIDERS):
        decided = module.decide(engine, uid, station_organisation)
        if decided is not None:
            status, token = decided
            return TokenCheck(status, contract_id=token.token.get("contract_id"), group_id=token.token.get("group_id"),
                              uid=token.token.get("uid"))
    return TokenCheck("Invalid")
