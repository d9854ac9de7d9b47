"""A report is data: its columns in the seed's names and order, each with a type and a function of a joined row."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..access.rights import Right


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"     # a plain number with `places` decimals
    MONEY = "money"         # Decimal in the row's currency (Column.currency)
    PERCENT = "percent"     # Decimal percentage, e.g. 21 for 21 %
    DATETIME = "datetime"   # aware datetime, shown in the report's zone with Column.time_format
    DURATION = "duration"   # timedelta, shown hh:mm:ss
    JSON = "json"           # structured data: JSON text in CSV, a text cell in XLSX


@dataclass(frozen=True)
class ReportContext:
    """What every value function may need besides the row: the viewer's zone and the generation time."""
    time_zone: ZoneInfo
    generated_at: datetime
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    value: Callable[[Any, ReportContext], Any]
    places: int = 2
    currency: Callable[[Any], str | None] | None = None
    time_format: str = "%Y-%m-%d %H:%M:%S"
    excel_format: str = "yyyy-mm-dd hh:mm:ss"
    right: Right | None = None  # a column only callers with this right receive
    field: str | None = None    # the value is this joined-row field as it is (compiled reports index it directly)
    moment: str | None = None   # the value is this UTC time field in the context's zone (see local_time)
    span: tuple[str, str, Callable[[Any], Any]] | None = None  # the value is shown(between(start, stop)) (see span)
    # the cell's text as DuckDB SQL over the fetched fields, or a function of the ReportContext giving it, for a
    # column computed by its own `value` (reports/duck_cells.py); the others' are derived from field/moment/span
    duck: str | Callable[[ReportContext], str] | None = None


def as_is(name: str, kind: Kind, attr: str, **options) -> Column:
    """A column showing one joined-row field unchanged."""
    return Column(name, kind, lambda row, _ctx: getattr(row, attr), field=attr, **options)


def in_zone(moment: datetime | None, ctx: ReportContext) -> datetime | None:
    return moment.astimezone(ctx.time_zone) if moment else None


def local_time(name: str, attr: str, **options) -> Column:
    """A UTC time field shown in the report's zone; compiled reports format it from epoch µs (local_clock.py)."""
    return Column(name, Kind.DATETIME, lambda row, ctx: in_zone(getattr(row, attr), ctx), moment=attr, **options)


def _same(value):
    return value


def span(name: str, kind: Kind, start: str, stop: str, shown: Callable[[Any], Any] = _same, **options) -> Column:
    """shown(the time from field `start` to field `stop`); compiled reports compute it once per row for all."""
    return Column(name, kind, lambda row, _ctx: shown(between(getattr(row, start), getattr(row, stop))),
                  span=(start, stop, shown), **options)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    rights: tuple[Right, ...]             # needed to run the report at all
    columns: Callable[[Any, Any], list[Column]]  # (connection, request) -> columns; most reports ignore both
    where: Callable[[Any], list]          # request -> extra SQL conditions on the joined row query
    time_zone_of: str = "viewer"          # whose zone the times are in: viewer | site
    note: str = ""
    # column names -> the same columns without the database: a report worker sharing our snapshot skips queries
    columns_named: Callable[[list[str]], list[Column]] | None = None
    # columns reading every field any of the report's column sets may read, found without the database: a
    # vectorised CSV (reports/vector_csv.py) starts reading rows while the real columns' queries run
    provisional_columns: Callable[[], list[Column]] | None = None
    # DuckDB SQL over a row's fields, true where the columns do not show all of the row (a tax jurisdiction
    # committed after the columns were found, in another snapshot than the rows'): the report then fails
    uncovered: Callable[[list[Column]], str] | None = None
    # (connection, request, visible columns, context) -> (values, row) of rows after the sessions' (the
    # statement's refunds and re-pricings, dated when they happened); few, so every writer formats them in Python
    trailing: Callable[[Any, Any, list[Column], ReportContext], Any] | None = None


def duration(seconds: float | None) -> timedelta | None:
    return timedelta(seconds=round(seconds)) if seconds is not None else None


def between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return timedelta(seconds=round((end - start).total_seconds()))


def minutes(value: timedelta | None) -> Decimal | None:
    return _minutes(value) if value is not None else None


@lru_cache(maxsize=65_536)  # durations repeat (a day has 86,400 seconds); Decimal division is the slow part
def _minutes(value: timedelta) -> Decimal:
    return (Decimal(int(value.total_seconds())) / 60).quantize(Decimal("0.01"))


_HALVES_ARE_FLOATS = 2.0 ** 52  # below it every n + 0.5 is a float


def kilowatt_hours(energy_wh: float | None) -> Decimal | None:
    """Wh as kWh with three decimals, from the float's shortest text so no binary noise shows."""
    if energy_wh is None:
        return None
    if energy_wh.__class__ is float and 0 < energy_wh < _HALVES_ARE_FLOATS:
        # Rounding the shortest text to whole Wh (half to even) is round() of the float itself: a float whose
        # shortest text ends in .5 is that half exactly (halves are floats here), and no float's shortest text
        # lies on the other side of a half from the float. Meter readings rarely repeat, so this runs per row.
        wh = round(energy_wh)
        return Decimal(f"{wh // 1000}.{wh % 1000:03d}")
    return (Decimal(str(energy_wh)) / 1000).quantize(Decimal("0.001"))


def summary(row) -> dict:
    return row.summary or {}


def roaming(row) -> dict:
    return summary(row).get("roaming") or {}


def identity(row) -> dict:
    return summary(row).get("identity") or {}
