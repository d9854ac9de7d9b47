"""From CSV text to checked session rows, each bad row with its line number and the reason."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping as ReadOnly, NamedTuple

from ..domain.evse_id import InvalidEvseId, normalise_evse_id
from ..domain.network import ConnectorStandard
from ..domain.roaming import Network
from ..ocpi.objects.tokens import TokenType
from .mapping import Mapping, MappingError, connector_standard
from .values import BadValue, duration, energy, number, read_times, timed, zone_of


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    where: str = ""  # the place in the format's own words when a line number is not enough ($[3], Sheet1!row 5)


class SessionRow(NamedTuple):
    """One checked row. A named tuple, not a frozen dataclass: frozen's per-field `object.__setattr__` made building
    a row cost more than reading all its cells (9 µs of ~20 µs a row)."""

    line: int
    session_id: str
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: Decimal
    station: str | None = None
    site: str | None = None
    evse: str | None = None  # normalised EVSE ID
    connector: int | None = None
    connector_type: str | None = None  # a ConnectorStandard value
    driver: str | None = None
    token: str | None = None
    token_type: str | None = None
    network: str | None = None  # with operator and provider: the roaming attribution of the session
    operator: str | None = None
    provider: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    start_source: str | None = None
    custom: ReadOnly[str, str] = MappingProxyType({})  # read-only: a default shared by every row
    digest: str = ""  # of the raw cells: tells a changed row from a re-sent one
    implausible: tuple[str, ...] = ()  # why no real charger produces this row: imported, with a flag


# Far above any real cell; the csv module's own limit (131,072) would stop the whole file with an exception.
MAX_CELL = 10_000
csv.field_size_limit(2**31 - 1)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # a physical line with its ending, as newline=""


class _Lines:
    """Physical lines with a cursor, so a row read wrongly (an unclosed quote) can be read again line by line.

    Lines are cut from the text as they are read and kept only back to the start of the row being read
    (`forget_before`), so a file of a million rows is never a million line objects at once."""

    def __init__(self, text: str | Iterable[str]):
        self._next = (m.group() for m in _LINE.finditer(text)) if isinstance(text, str) else iter(text)
        self.kept: list[str] = []  # lines base, base + 1, …
        self.base = 0
        self.pos = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        index = self.pos - self.base
        if index == len(self.kept):
            self.kept.append(next(self._next))  # StopIteration at the end of the text ends the reader
        self.pos += 1
        return self.kept[index]

    def line(self, number: int) -> str:
        return self.kept[number - self.base]

    def forget_before(self, number: int) -> None:
        del self.kept[:number - self.base]
        self.base = number


Read = tuple[int, "list[str] | RowError"]


def read_rows(text: str | Iterable[str], mapping: Mapping) -> tuple[list[str], Iterator[Read]]:
    """The header and (line number, cells or the reason the row cannot be read) per data row.

    A quoted cell may span lines; but when such a row does not fit the header, or a line inside it is itself a
    whole row, the quote was never closed: the row is reported and every line after it is read again.
    """
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise MappingError("the file is empty: it has no header line") from None
    missing = mapping.missing(header)
    if missing:
        raise MappingError(f"line 1: column(s) {', '.join(repr(c) for c in missing)} named in the mapping are not in "
                           f"the header ({', '.join(header)})")
    width = len(header)

    def whole_row(line: str) -> bool:
        return len(next(csv.reader([line], delimiter=mapping.delimiter), [])) == width

    def rows() -> Iterator[Read]:
        nonlocal reader
        while True:
            lines.forget_before(lines.pos)
            first = lines.pos
            try:
                cells = next(reader)
            except StopIteration:
                return
            span = lines.pos - first
            if span > 1 and (len(cells) != width or any(whole_row(lines.line(i))
                                                        for i in range(first + 1, lines.pos))):
                yield first + 1, RowError(first + 1, f"a quote opened on this line is not closed where the row "
                                                     f"ends; the {span - 1} line(s) after it are read as rows")
                lines.pos = first + 1
                reader = csv.reader(lines, delimiter=mapping.delimiter)
                continue
            # one C call each for the common row (not blank, no huge cell): a generator per row cost ~5% of an import
            if not cells or not "".join(cells).strip():
                continue
            if max(map(len, cells)) > MAX_CELL:
                huge = next(i for i, c in enumerate(cells) if len(c) > MAX_CELL)
                name = header[huge] if huge < width else f"field {huge + 1}"
                yield first + 1, RowError(first + 1, f"{name} holds {len(cells[huge]):,} characters "
                                                     f"(a cell may hold {MAX_CELL:,})")
                continue
            yield first + 1, cells

    return header, rows()


def _positions(header: list[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(header)}  # a repeated name: its last column, as a dict of the row was


def _reader(mapping: Mapping, header: list[str], cells: list[str], positions: dict[str, int] | None = None):
    """The text of a mapped column in one row: stripped, empty markers as its default or None, through the value
    tables. `positions` (`_positions(header)`, made once a batch) spares a dict per row."""
    index = positions if positions is not None else _positions(header)

    def one(column: str) -> str | None:
        i = index.get(column)
        value = cells[i].strip() if i is not None else ""
        if value in mapping.null_values:
            value = mapping.defaults.get(column)
            if value is None:
                return None
        return mapping.value_tables[column].get(value, value) if column in mapping.value_tables else value

    def cell(column: str | tuple[str, ...] | None) -> str | None:
        # not recursive: a closure calling itself is a reference cycle, left for the cyclic collector to free
        if column is None:
            return None
        if isinstance(column, str):
            return one(column)
        parts = [one(c) for c in column]  # date and time in separate columns: read as one text
        return " ".join(parts) if all(p is not None for p in parts) else None

    return cell


def parse_rows(mapping: Mapping, header: list[str], batch: list[tuple[int, list[str]]]
               ) -> list[SessionRow | RowError]:
    """`parse_row` for many rows, their start and stop times read at once where the mapping allows."""
    known: dict[str, datetime] = {}
    cols = mapping.columns
    positions = _positions(header)
    readers = [_reader(mapping, header, cells, positions) if len(cells) == len(header) else None
               for _, cells in batch]
    if cols.time_zone is None:  # with a zone per row, every time is read with its own row
        texts = []
        for reader in readers:
            if reader is not None:
                cell = reader
                texts += [t for t in (cell(cols.start), cell(cols.stop) if cols.stop else None) if t is not None]
        known = read_times(mapping, texts)
    return [parse_row(mapping, header, line, cells, known, reader) for (line, cells), reader in zip(batch, readers)]


def parse_row(mapping: Mapping, header: list[str], line: int, cells: list[str],
              known: dict[str, datetime] | None = None, reader=None) -> SessionRow | RowError:
    """One row checked; `known` holds times already read (by `read_times`) for cells in the mapping's zone."""
    if len(cells) != len(header):
        return RowError(line, f"the row has {len(cells)} fields where the header has {len(header)}")
    cell = reader or _reader(mapping, header, cells)
    cols = mapping.columns
    known = known or {}

    def time_of(column, text: str, zone) -> tuple[datetime, str | None]:
        found = known.get(text) if zone is None else None
        return (found, None) if found is not None else timed(mapping, _name(column), text, zone)

    quality: list[str] = []
    try:
        session_id = _required(cell, cols.session_id, "session id")
        zone_text = cell(cols.time_zone)
        zone = zone_of(mapping, zone_text) if zone_text is not None else None
        started_at, note = time_of(cols.start, _required(cell, cols.start, "start"), zone)
        quality += [note] if note else []
        stopped_at = None
        stop_text, duration_text = cell(cols.stop), cell(cols.duration)
        if stop_text is not None:
            stopped_at, note = time_of(cols.stop, stop_text, zone)
            quality += [note] if note else []
        elif duration_text is not None:
            stopped_at = started_at + duration(mapping, cols.duration, duration_text)
        elif mapping.missing_stop == "reject":
            raise BadValue(f"{_name(cols.stop) if cols.stop else cols.duration} is empty: the session has no end")
        energy_wh = energy(mapping, cols.energy, _required(cell, cols.energy, "energy"))
        amount_text = cell(cols.amount)
        amount = number(mapping, cols.amount, amount_text) if amount_text is not None else None
        currency = (cell(cols.currency) or mapping.currency) if amount is not None else None
        if currency is not None and (len(currency) != 3 or not currency.isalpha()):
            raise BadValue(f"currency {currency!r} is not an ISO 4217 code")
        token_type = _token_type(cols.token_type, cell(cols.token_type))
        evse, connector, connector_type = _evse(cols, cell)
        network, operator, provider = _roaming(cols, cell)
    except BadValue as exc:
        return RowError(line, str(exc))
    return SessionRow(
        implausible=(*quality, *implausible(mapping, started_at, stopped_at, energy_wh)),
        line=line, session_id=session_id, started_at=started_at, stopped_at=stopped_at,
        energy_wh=energy_wh, station=cell(cols.station), site=cell(cols.site), evse=evse, connector=connector,
        connector_type=connector_type,
        driver=cell(cols.driver), token=cell(cols.token), token_type=token_type, network=network, operator=operator,
        provider=provider, amount=amount,
        currency=currency.upper() if currency else None, start_source=cell(cols.start_source),
        custom={c: value for c in cols.custom if (value := cell(c)) is not None},
        digest=hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:16],
    )


TOKEN_TYPES = tuple(t.value for t in TokenType)
_TOKEN_ALIASES = {"AD_HOC": TokenType.AD_HOC_USER.value, "APP": TokenType.APP_USER.value}
_NETWORKS = {n.value.casefold(): n.value for n in Network}


def _token_type(column: str | None, text: str | None) -> str | None:
    if text is None:
        return None
    upper = text.upper().replace("-", "_").replace(" ", "_")
    kind = _TOKEN_ALIASES.get(upper, upper)
    if kind not in TOKEN_TYPES:
        raise BadValue(f"{column} {text!r} is not a token type ({', '.join(TOKEN_TYPES)}; a [values.{column}] "
                       f"table maps the file's own names)")
    return kind


def _evse(cols, cell) -> tuple[str | None, int | None, str | None]:
    """The EVSE ID (normalised), the connector's number and the connector's type a row names."""
    text, number_text, kind = cell(cols.evse), cell(cols.connector), cell(cols.connector_type)
    if text is None:
        if number_text is not None:
            raise BadValue(f"{cols.evse} is empty: a connector number needs its EVSE")
        return None, None, None
    try:
        evse = normalise_evse_id(text)
    except InvalidEvseId as exc:
        raise BadValue(f"{cols.evse}: {exc}") from None
    connector = None
    if number_text is not None:
        if not number_text.isdigit() or int(number_text) < 1:
            raise BadValue(f"{cols.connector} {number_text!r} is not a connector number (1, 2, …)")
        connector = int(number_text)
    standard = None
    if kind is not None:
        standard = connector_standard(kind)
        if standard is None:
            raise BadValue(f"{cols.connector_type} {kind!r} is not a connector type ({', '.join(ConnectorStandard)}; "
                           f"a [values.{cols.connector_type}] table maps the file's own names)")
    return evse, connector, standard.value if standard else None


def _roaming(cols, cell) -> tuple[str | None, str | None, str | None]:
    """The roaming network a session came through, with the operator's and the provider's IDs."""
    text, operator, provider = cell(cols.network), cell(cols.operator), cell(cols.provider)
    if text is None:
        if operator is not None or provider is not None:
            raise BadValue(f"{cols.network or 'network'} is empty: an operator or provider ID needs the roaming "
                           f"network (a [defaults] value names it for a file that has none)")
        return None, None, None
    network = _NETWORKS.get(text.casefold())
    if network is None:
        raise BadValue(f"{cols.network} {text!r} is not a roaming network ({', '.join(_NETWORKS.values())}; a "
                       f"[values.{cols.network}] table maps the file's own names)")
    return network, operator, provider


def _name(column: str | tuple[str, ...]) -> str:
    return column if isinstance(column, str) else "+".join(column)


def _required(cell, column, what: str) -> str:
    value = cell(column)
    if value is None:
        raise BadValue(f"{_name(column)} is empty: every session needs its {what}")
    return value


def implausible(mapping: Mapping, started_at: datetime, stopped_at: datetime | None,
                energy_wh: Decimal) -> tuple[str, ...]:
    """Values a real charger cannot produce; the row is kept as written, and the reasons become the session's
    data-quality flags (an operator sees and resolves them; dropping the row would lose what was charged)."""
    reasons = []
    if energy_wh < 0:
        reasons.append(f"negative energy ({energy_wh / 1000:f} kWh)")
    if stopped_at is None:
        return tuple(reasons)
    hours = (stopped_at - started_at).total_seconds() / 3600
    if hours < 0:
        reasons.append(f"the stop ({stopped_at:%Y-%m-%d %H:%M} UTC) is before the start "
                       f"({started_at:%Y-%m-%d %H:%M} UTC)")
        return tuple(reasons)
    if hours > mapping.max_session_hours:
        reasons.append(f"the session lasts {hours / 24:.1f} days (more than {mapping.max_session_hours:g} h)")
    if float(energy_wh) > mapping.max_power_kw * 1000 * hours:
        reasons.append(f"{energy_wh / 1000:f} kWh in {hours * 60:.0f} min is more than {mapping.max_power_kw:g} kW "
                       f"could deliver")
    return tuple(reasons)
