"""OCPI numbers: JSON numbers with at most 4 decimals (types: number). Money stays Decimal up to the wire, and is
written with its own digits (pricing/ocpi_json), never through a float."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.responses import JSONResponse

from ..pricing import ocpi_json
from .status import ocpi_time

FOUR = Decimal("0.0001")


def number(value: Any) -> Decimal:
    """A Decimal (or its text, or an int) rounded to OCPI's 4 decimals; fewer digits are kept as they are."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return exact.quantize(FOUR, rounding=ROUND_HALF_UP) if exact.as_tuple().exponent < -4 else exact  # type: ignore


def wire(value: Any) -> Any:
    """Decimals rounded to 4 decimals, datetimes as OCPI DateTime, None fields left out, recursively."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, float):  # a number another module wrote as float: its shortest text is its value
        return number(Decimal(repr(value)))
    if isinstance(value, datetime):
        return ocpi_time(value)
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return ocpi_json.dumps(wire(value))


class OcpiJsonResponse(JSONResponse):
    """A JSON answer whose Decimals are written as exact JSON numbers."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode()
