"""Per-kind text functions equal to cells.as_text, chosen once per column instead of dispatched per cell.

Numbers and durations repeat across rows (prices, fees, minutes), so their text is remembered by value; dates
are cut into a remembered day part and a remembered time-of-day part. cells.as_text stays the definition;
tests/reports/test_fast_text.py holds these equal to it.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from .cells import as_text, hh_mm_ss, money_text, neutralise
from .columns import Column, Kind
from .memo import LIMIT, remembered_by_value

Text = Callable[[Any], str]
FORMULA_FIRST = frozenset("=+-@\t\r")
_DAY_FIRST = re.compile(r"^%Y-%m-%d((?:[^%]|%[HMS])*)$")


def text_cell(value) -> str:
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if text and text[0] in FORMULA_FIRST and text != "-":
        return neutralise(text)
    return text


def remembered(compute: Text) -> Text:
    return remembered_by_value(compute, "", zero_is_a_key=False)


def _places(places: int) -> Text:
    step = Decimal(1).scaleb(-places)
    return lambda value: f"{Decimal(value).quantize(step):f}"


def _moment(time_format: str) -> Text:
    match = _DAY_FIRST.match(time_format)
    if not match:
        return lambda value: "" if value is None else (
            value.strftime(time_format) if isinstance(value, datetime) else str(value))
    clock_format = match.group(1)
    days: dict[int, str] = {}
    clocks: dict[int, str] = {}

    def cell(value) -> str:
        if value is None:
            return ""
        if not isinstance(value, datetime):
            return str(value)
        ordinal = value.toordinal()
        day = days.get(ordinal)
        if day is None:
            if len(days) >= LIMIT:
                days.clear()
            day = days[ordinal] = value.strftime("%Y-%m-%d")
        if not clock_format:
            return day
        second = value.hour * 3600 + value.minute * 60 + value.second
        clock = clocks.get(second)
        if clock is None:  # at most 86,400 entries
            clock = clocks[second] = value.strftime(clock_format)
        return day + clock
    return cell


def money_of_decimal_text(scale: int) -> Text:
    """The text of a Decimal written with exactly `scale` decimals (PostgreSQL's numeric text, SQLite's float
    as SQLAlchemy formats it) -> money_text of that Decimal, without making one when the dropped decimals are
    zeros: a Decimal and its two roundings cost ~2 µs a cell, and a report has a dozen money cells a row."""
    cents, fourths = "0" * (scale - 2), "0" * (scale - 4)

    def text(decimal_text: str | None) -> str:
        if decimal_text is None:
            return ""
        if scale > 4 and decimal_text.endswith(cents) and decimal_text[-scale - 1] == ".":
            return decimal_text[:-len(cents)]
        if scale > 4 and decimal_text.endswith(fourths) and decimal_text[-scale - 1] == ".":
            return decimal_text[:-len(fourths)]
        return money_text(Decimal(decimal_text))
    return text


def text_function(column: Column) -> Text:
    """value -> text for this column, the same text as cells.as_text(column, value)."""
    kind = column.kind
    if kind is Kind.TEXT:
        return text_cell
    if kind is Kind.MONEY:
        return remembered(lambda value: money_text(Decimal(value)))
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        return remembered(_places(column.places))
    if kind is Kind.INTEGER:
        return lambda value: "" if value is None else str(int(value))
    if kind is Kind.DATETIME:
        return _moment(column.time_format)
    if kind is Kind.DURATION:
        return remembered(hh_mm_ss)
    return lambda value: as_text(column, value)
