"""Authorising an id token against the id_tokens table: Accepted, Blocked, Expired or Invalid (unknown).

A token belongs to an organisation (its driver's): it is known only at that organisation's stations, and at every
station when it is a roaming token (a partner network's driver, billed through roaming). Elsewhere it is Invalid,
exactly like an unknown one, so a station cannot tell another organisation's tokens from made-up ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from ..storage.tables import id_tokens


@dataclass(frozen=True)
class TokenCheck:
    status: str
    driver_id: str | None = None
    contract_id: str | None = None
    expires_at: datetime | None = None


def check_token(engine: Engine, uid: str | None, now: datetime, station_organisation: str) -> TokenCheck:
    if not uid:
        return TokenCheck("Invalid")
    with engine.connect() as conn:
        row = conn.execute(select(id_tokens).where(id_tokens.c.uid == uid)).first()
    if row is None or not (row.roaming or row.organisation_id == station_organisation):
        return TokenCheck("Invalid")
    status = row.status
    if status == "Accepted" and row.expires_at is not None and row.expires_at <= now:
        status = "Expired"
    return TokenCheck(status, row.driver_id, row.contract_id, row.expires_at)
