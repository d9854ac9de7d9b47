"""From CSV text to checked session rows, each bad row with its line number and the reason."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterator

from .mapping import DURATION_UNITS, ENERGY_UNITS, Mapping, MappingError
from .values import BadValue, moment, number


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class SessionRow:
    line: int
    session_id: str
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: Decimal
    station: str | None = None
    site: str | None = None
    driver: str | None = None
    token: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    start_source: str | None = None
    custom: dict[str, str] = field(default_factory=dict)
    digest: str = ""  # of the raw cells: tells a changed row from a re-sent one


def read_rows(text: str, mapping: Mapping) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and (line number, cells) per data row; quoted multi-line cells keep their first line number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise MappingError("the file is empty: it has no header line") from None
    missing = [c for c in mapping.columns.named() if c not in header]
    if missing:
        raise MappingError(f"line 1: column(s) {', '.join(repr(c) for c in missing)} named in the mapping are not in "
                           f"the header ({', '.join(header)})")

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                yield line, cells
            line = reader.line_num + 1

    return header, rows()


def parse_row(mapping: Mapping, header: list[str], line: int, cells: list[str]) -> SessionRow | RowError:
    if len(cells) != len(header):
        return RowError(line, f"the row has {len(cells)} fields where the header has {len(header)}")
    raw = dict(zip(header, cells))
    cols = mapping.columns

    def cell(column: str | None) -> str | None:
        if column is None:
            return None
        value = raw[column].strip()
        return None if value in mapping.null_values else value

    try:
        session_id = _required(cell, cols.session_id, "session id")
        started_at = moment(mapping, cols.start, _required(cell, cols.start, "start"))
        stopped_at = None
        if cols.stop and cell(cols.stop) is not None:
            stopped_at = moment(mapping, cols.stop, cell(cols.stop))
        elif cols.duration and cell(cols.duration) is not None:
            hours = number(mapping, cols.duration, cell(cols.duration))
            if hours < 0:
                raise BadValue(f"{cols.duration} {raw[cols.duration]!r} is a negative duration")
            stopped_at = started_at + timedelta(seconds=float(hours * DURATION_UNITS[mapping.duration_unit]))
        elif mapping.missing_stop == "reject":
            raise BadValue(f"{cols.stop or cols.duration} is empty: the session has no end")
        energy = number(mapping, cols.energy, _required(cell, cols.energy, "energy"))
        if energy < 0:
            raise BadValue(f"{cols.energy} {raw[cols.energy]!r} is negative energy")
        if stopped_at is not None and stopped_at < started_at:
            raise BadValue(f"the stop ({stopped_at:%Y-%m-%d %H:%M} UTC) is before the start "
                           f"({started_at:%Y-%m-%d %H:%M} UTC)")
        amount = number(mapping, cols.amount, cell(cols.amount)) if cell(cols.amount) is not None else None
        currency = (cell(cols.currency) or mapping.currency) if amount is not None else None
        if currency is not None and (len(currency) != 3 or not currency.isalpha()):
            raise BadValue(f"currency {currency!r} is not an ISO 4217 code")
    except BadValue as exc:
        return RowError(line, str(exc))
    return SessionRow(
        line=line, session_id=session_id, started_at=started_at, stopped_at=stopped_at,
        energy_wh=energy * ENERGY_UNITS[mapping.energy_unit], station=cell(cols.station), site=cell(cols.site),
        driver=cell(cols.driver), token=cell(cols.token), amount=amount,
        currency=currency.upper() if currency else None, start_source=cell(cols.start_source),
        custom={c: raw[c].strip() for c in cols.custom if cell(c) is not None},
        digest=hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:16],
    )


def _required(cell, column: str, what: str) -> str:
    value = cell(column)
    if value is None:
        raise BadValue(f"{column} is empty: every session needs its {what}")
    return value
