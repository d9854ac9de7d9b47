"""A report is data: its columns in the seed's names and order, each with a kind and its cell as one SQL expression
over the report's fields (reports/cell_sql.py), and the right a caller needs to receive it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..access.rights import Right
from .cell_sql import SQL


class Kind(StrEnum):
    """What a cell holds: its text in CSV and JSON, its cell type in XLSX."""
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"     # a plain number with `places` decimals
    MONEY = "money"         # in the row's currency (Column.currency)
    PERCENT = "percent"     # a percentage, e.g. 21.00 for 21 %
    DATETIME = "datetime"   # a time written with Column.time_format (its zone's offset where the format ends %z)
    DURATION = "duration"   # hh:mm:ss
    JSON = "json"           # structured data: JSON text


@dataclass(frozen=True)
class ReportContext:
    """What a cell may need besides the row: the viewer's zone and report-wide facts."""
    time_zone: ZoneInfo
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    sql: SQL                          # the cell's text, NULL for an empty one
    right: Right | None = None        # only callers with this right receive the column
    places: int = 2                   # DECIMAL and PERCENT: the decimals shown
    currency: str | None = None       # MONEY: SQL of the amount's currency (the XLSX number format names it)
    time_format: str = "%Y-%m-%d %H:%M:%S"
    excel_format: str = "yyyy-mm-dd hh:mm:ss"


def as_is(name: str, kind: Kind, attr: str, places: int = 2, **options) -> Column:
    """A column showing one field unchanged."""
    return Column(name, kind, lambda scope: scope.shown(attr, kind, places), places=places, **options)


def local_time(name: str, attr: str, **options) -> Column:
    """A UTC time field shown in the viewer's zone."""
    return Column(name, Kind.DATETIME, lambda scope: scope.local_time(attr, options.get("time_format",
                                                                                      Column.time_format)),
                  **options)


def json_field(path: str, field: str = "summary") -> str:
    """SQL of a value inside a JSON field, as text (NULL when absent or empty)."""
    steps = ".".join(f'"{part}"' for part in path.split("."))
    return f"nullif(json_extract_string({field}, '$.{steps}'), '')"


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    rights: tuple[Right, ...]                    # needed to run the report at all
    columns: Callable[[Any, Any], list[Column]]  # (connection, request) -> columns; most reports ignore both
    # request -> SQL conditions on the joined rows beyond the ask's own (source.in_frame)
    where: Callable[[Any], list] = lambda request: []
    time_zone_of: str = "viewer"                 # whose zone the times are in: viewer | site
    note: str = ""
    # SQL over a row's fields, true where the columns do not show all of it (a tax jurisdiction committed after
    # the columns were found): the report then fails rather than leave money out
    uncovered: Callable[[list[Column]], str] | None = None
    # rows after the sessions' (the statement's refunds and re-pricings): catalogue/payment_moves.py
    trailing: Any = None
    # SQL values computed once per row for several cells, by the name the cells' SQL reads them
    derived: dict[str, str] = field(default_factory=dict)
