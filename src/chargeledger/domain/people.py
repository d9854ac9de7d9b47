"""Drivers, their identification tokens and vehicles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TokenStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


def token_key(uid: str) -> str:
    """OCPP compares id tokens as CiString (case-insensitive ASCII): every lookup goes through this key."""
    return uid.strip().lower()


@dataclass(frozen=True)
class Driver:
    id: str
    organisation_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class IdToken:
    uid: str  # RFID UID or other token value, as the charger reports it
    driver_id: str | None = None
    contract_id: str | None = None  # eMA-ID for roaming / Plug and Charge
    status: TokenStatus = TokenStatus.ACCEPTED


@dataclass(frozen=True)
class Vehicle:
    id: str
    driver_id: str | None
    make: str
    model: str
    battery_kwh: str | None = None
