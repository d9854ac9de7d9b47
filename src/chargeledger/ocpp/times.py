"""Times in OCPP messages: read (a bad one is the sender's TypeConstraintViolation) and written (UTC, 'Z')."""

from __future__ import annotations

from datetime import datetime

from ocpp.exceptions import TypeConstraintViolationError

from .meter_values import BadTimestamp, parse_time


def read_time(value) -> datetime:
    try:
        return parse_time(value)
    except BadTimestamp as exc:
        raise TypeConstraintViolationError(details={"cause": str(exc)}) from None


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
