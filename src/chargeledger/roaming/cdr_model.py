"""What every format needs to know about a CDR, derived once from the joined row (session + settlement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pycountry

from ..domain.evse_id import InvalidEvseId, parse_evse_id


class CdrRefused(ValueError):
    """A CDR the format cannot carry honestly (a required field unknown): the export skips it and logs why."""


def cdr_id(session_id: int, version: int) -> str:
    """Our CDR ID: one per settlement version, so a re-priced session gets a new ID."""
    return f"CL{session_id}" if version <= 1 else f"CL{session_id}-{version}"


def alpha3(country: str | None) -> str | None:
    found = pycountry.countries.get(alpha_2=country) if country else None
    return found.alpha_3 if found else None


@dataclass(frozen=True)
class Party:
    country_code: str
    party_id: str


def party(value: str | None, separator: str) -> Party | None:
    """'NL-EFL' / 'NL*ACM' / 'NLACM' -> Party('NL', 'EFL')."""
    if not value:
        return None
    text = value.replace(separator, "").replace("*", "").replace("-", "")
    return Party(text[:2].upper(), text[2:5].upper()) if len(text) >= 5 else None


def operator_party(row) -> Party | None:
    roaming = (row.summary or {}).get("roaming") or {}
    found = party(roaming.get("operator_id"), "*")
    if found:
        return found
    try:
        country, operator, _ = parse_evse_id(row.evse_id or "")
        return Party(country, operator)
    except InvalidEvseId:
        return None


def roaming_of(row) -> dict:
    return (row.summary or {}).get("roaming") or {}


def token_of(row) -> dict:
    return (row.summary or {}).get("identity") or {}


def end_of(row) -> datetime | None:
    return row.stopped_at or row.started_at


def kwh(row) -> Decimal:
    if row.total_energy_kwh is not None:
        return Decimal(row.total_energy_kwh)
    return Decimal(str(row.energy_wh or 0)) / 1000


def hours(start: datetime | None, end: datetime | None) -> Decimal:
    if not start or not end:
        return Decimal(0)
    return (Decimal(int((end - start).total_seconds())) / 3600).quantize(Decimal("0.0001"))
