"""How one typed value becomes text, and why a text cell that a spreadsheet would run is neutralised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .columns import Column, Kind

# A spreadsheet runs a cell starting with these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FOUR = Decimal("0.0001")


def neutralise(text: str) -> str:
    # A lone "-" (the seed's "no account" placeholder) cannot run; anything longer starting so might.
    return "'" + text if text.startswith(_FORMULA_START) and text != "-" else text


def hh_mm_ss(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def money_text(value: Decimal) -> str:
    """Two decimals, or four where the stored amount has sub-cent precision (OCPI totals): never rounded away."""
    exact = value.quantize(FOUR)
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == exact else f"{exact:f}"


def as_text(column: Column, value: Any) -> str:
    """The text form, used by CSV and by API JSON; None is an empty cell."""
    if value is None:
        return ""
    kind = column.kind
    if kind is Kind.TEXT:
        return neutralise(str(value))
    if kind is Kind.MONEY:
        return money_text(Decimal(value))
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        number = Decimal(value)
        return f"{number.quantize(Decimal(1).scaleb(-column.places)):f}"
    if kind is Kind.INTEGER:
        return str(int(value))
    if kind is Kind.DATETIME:
        return value.strftime(column.time_format) if isinstance(value, datetime) else str(value)
    if kind is Kind.DURATION:
        return hh_mm_ss(value)
    if kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    raise ValueError(f"no text form for {kind}")
