"""Reading partner eViolin files: comma or semicolon delimiter, decimal comma or point, ISO times."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Iterator

from .columns import (
    AUTHENTICATION_ID, CDR_ID, COLUMNS, CONTRACT_ID, COST, END, INFRA_PROVIDER_ID, POINT_ID, PROVIDER_ID, START, VOLUME,
)


class RowError(ValueError):
    pass


@dataclass(frozen=True)
class PartnerCdr:
    cdr_id: str
    start: datetime
    end: datetime
    energy_kwh: Decimal
    evse_id: str
    auth_id: str | None
    contract_id: str | None
    provider_id: str | None
    operator_id: str | None
    cost: Decimal | None


def number(text: str, name: str) -> Decimal:
    value = text.strip()
    if "," in value and "." in value:  # 1.234,56: dots group thousands
        value = value.replace(".", "")
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise RowError(f"{name} {text!r} is not a number") from None


def moment(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{name} {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise RowError(f"{name} {text!r} has no UTC offset")
    return value


def read(lines: list[str]) -> Iterator[tuple[int, PartnerCdr | RowError]]:
    """Yield (line number, CDR or the reason the row is refused)."""
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;")
    except (csv.Error, IndexError):
        raise RowError("the file has no eViolin header (CDR_ID, Start_datetime, …)") from None
    reader = csv.reader(lines, dialect)
    header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    missing = [c for c in (CDR_ID, START, END, VOLUME, POINT_ID) if c not in header]
    if missing:
        raise RowError(f"the header lacks {', '.join(missing)}; expected the eViolin columns {', '.join(COLUMNS)}")
    while True:
        line_number = reader.line_num + 1  # where the next row starts (a quoted field may span lines)
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a malformed row (a NUL byte, an open quote at the end): report it, go on
            yield line_number, RowError(f"the row cannot be read as CSV: {error}")
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):  # a short or long row: its cells would land under the wrong columns
            yield line_number, RowError(f"the row has {len(values)} fields, the header {len(header)}")
            continue
        try:
            yield line_number, _cdr(dict(zip(header, values)))
        except RowError as error:
            yield line_number, error


def _cdr(cells: dict[str, str]) -> PartnerCdr:
    cdr_id = cells.get(CDR_ID, "").strip()
    if not cdr_id:
        raise RowError(f"{CDR_ID} is empty")
    start, end = moment(cells[START], START), moment(cells[END], END)
    if end < start:
        raise RowError(f"{END} is before {START}")
    energy = number(cells[VOLUME], VOLUME)
    if energy < 0:
        raise RowError(f"{VOLUME} {cells[VOLUME]!r} is negative")
    cost = cells.get(COST, "").strip()

    def optional(name: str) -> str | None:
        return cells.get(name, "").strip() or None
    return PartnerCdr(cdr_id, start, end, energy, cells[POINT_ID].strip(), optional(AUTHENTICATION_ID),
                      optional(CONTRACT_ID), optional(PROVIDER_ID), optional(INFRA_PROVIDER_ID),
                      number(cost, COST) if cost else None)


def duration_check(cdr: PartnerCdr) -> timedelta:
    return cdr.end - cdr.start
