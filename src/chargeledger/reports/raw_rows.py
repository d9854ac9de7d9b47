"""Report rows straight from the DBAPI cursor: SQLAlchemy compiles and binds the query, nothing builds Row objects.

SQLAlchemy's per-row result processing was ~10 µs of a statement row; here each field keeps its raw driver value
and is converted (by SQLAlchemy's own result processor for its type, so values stay identical) only where a
column needs it. PostgreSQL streams through a named server-side cursor, SQLite through its plain cursor.

Two kinds of field are fetched in a cheaper form than their type's. Times come as integer epoch microseconds
computed by the database (a driver's aware datetime cost ~1.5 µs a field to read back as a number, and times are
read as numbers: reports/local_clock.py). PostgreSQL numerics come as their text, not Decimals: equal texts are
equal values, and a text hashes in a fraction of a Decimal's time, which mattered because cells are remembered
by their raw fields (reports/compiled_raw.py); the text becomes the same Decimal where a value is needed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import BigInteger, DateTime, Float, Integer, Numeric, String, Table, cast, extract, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.types import TypeDecorator

from .memo import keep, remembered_by_value

Convert = Callable[[Any], Any]
_names = itertools.count()


def driver_statement(conn: Connection, query: Select) -> tuple[str, Any]:
    """The SQL text and bound parameters exactly as SQLAlchemy would send them to this dialect's driver."""
    dialect = conn.dialect
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    params = {}
    for name, value in values.items():
        # an expanded IN list names its items <bind>_1, <bind>_2 …: they share the list's type
        bind = compiled.binds.get(name)
        if bind is None:
            bind = compiled.binds.get(name.rsplit("_", 1)[0])
        if bind is None:
            raise LookupError(f"no bind parameter {name!r} in the compiled report query")
        process = bind.type._cached_bind_processor(dialect)
        params[name] = process(value) if process is not None and value is not None else value
    if compiled.positional:
        return str(compiled), tuple(params[name] for name in compiled.positiontup)
    return str(compiled), params


def _base(type_):
    return type_.impl if isinstance(type_, TypeDecorator) else type_


@dataclass(frozen=True)
class Lookup:
    """A table joined many-to-one to the report's rows: the row whose `match` columns equal the row's `keys`."""
    table: Table
    match: tuple
    keys: tuple


def split_by_lookup(query: Select, lookups: Sequence[Lookup]) -> tuple[list, dict[Lookup, list]]:
    """The query's columns fetched with every row, and those of each lookup table (read once instead)."""
    tables = {lookup.table: lookup for lookup in lookups}
    fetched: list = []
    looked_up: dict[Lookup, list] = {}
    for column in query.selected_columns:
        lookup = tables.get(getattr(getattr(column, "element", column), "table", None))
        if lookup is None:
            fetched.append(column)
        else:
            looked_up.setdefault(lookup, []).append(column)
    return fetched, looked_up


# How a raw value may be a memory key (reports/compiled_raw.py): equal raw values must give equal text.
EXACT = "exact"      # equal values are the same value (texts, integers, fixed-scale Decimals, booleans)
FLOAT = "float"      # a float column: a key only while a non-zero float or None (0.0 and -0.0 are one key)
NUMERIC = "numeric"  # SQLite's numerics, ints or floats by value: ints and non-integral floats never collide


def key_rule(type_, dialect) -> str:
    """Which raw values of this type are safe memory keys (no 0.0/-0.0 or 1/1.0 pairs)."""
    base = _base(type_)
    if isinstance(base, Float):
        return FLOAT
    if isinstance(base, Numeric) and dialect.name == "sqlite":
        return NUMERIC
    # PostgreSQL numerics come as text (RawRows): equal texts are equal values
    return EXACT


def remembered(process: Convert, exact: bool) -> Convert:
    """process(raw) remembered by raw value: prices, zones and JSON summaries repeat across sessions."""
    return remembered_by_value(process, None, zero_is_a_key=exact)


def _mostly_unique(column) -> bool:
    """Times and keys differ from session to session: remembering by them costs a miss and an entry per row."""
    element = getattr(column, "element", column)
    return isinstance(_base(column.type), DateTime) or bool(getattr(element, "primary_key", False))


_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_micros(column, dialect):
    """The UTC time `column` as integer epoch µs, computed by the database."""
    if dialect.name == "postgresql":  # EXTRACT gives an exact numeric (PostgreSQL 14 and later)
        return cast(extract("epoch", column) * 1_000_000, BigInteger)
    if dialect.name == "sqlite":  # stored as text 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; a shorter fraction is padded
        # a time with a fraction is rounded to the nearest second by both functions: they get whole seconds only
        text = cast(column, String)
        seconds = func.substr(text, 1, 19)
        fraction = func.substr(text.concat("000000"), 21, 6)
        # unixepoch (SQLite 3.38) reads a time in a quarter of strftime's time
        whole = func.unixepoch(seconds) if _sqlite_version() >= (3, 38) else cast(func.strftime("%s", seconds), Integer)
        return whole * 1_000_000 + cast(fraction, Integer)
    raise NotImplementedError(f"no epoch time expression for {dialect.name}")


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def from_epoch(micros):
    """epoch µs -> the aware UTC datetime SQLAlchemy's UtcDateTime gives, for value functions reading a time."""
    return None if micros is None else _UTC_EPOCH + timedelta(microseconds=micros)


def _decimal_text(base, dialect) -> tuple[int, Convert | None] | None:
    if not isinstance(base, Numeric) or isinstance(base, Float) or not base.asdecimal or base.scale is None:
        return None
    if dialect.name == "postgresql":  # the numeric's own text, with the column's scale
        return base.scale, None
    if dialect.name == "sqlite":  # SQLAlchemy reads SQLite's number as Decimal("%.<scale>f" % number)
        pattern = f"%.{base._effective_decimal_return_scale}f"
        return base._effective_decimal_return_scale, lambda raw: None if raw is None else pattern % raw
    return None


def _decimal(process: Convert | None) -> Convert:
    if process is None:
        return lambda text: None if text is None else Decimal(text)
    return lambda text: None if text is None else process(Decimal(text))


# A report streams the sessions of a time range in start order and visits each one's settlement, payment,
# station and site by index: a streaming nested loop, right at any size, whose rows need no sort. Costing random
# index probes high, PostgreSQL instead hashed the whole payments table and sorted the result (spilling to disk)
# in every part of a report, and JIT-compiled each part: 2.3 s instead of 0.6 s for 62,500 of a million sessions.
# Parallel plans are off as our own processes share the cores. For the report's transaction only (set_config's
# is_local), so the connection goes back to the pool as it came.
_STREAMING = (("jit", "off"), ("enable_hashjoin", "off"), ("enable_mergejoin", "off"),
              ("max_parallel_workers_per_gather", "0"))


class RawRows:
    """An open cursor over the query: `converters[i]` turns raw field i into SQLAlchemy's value (None: as is);
    `moments[i]` is true for a time field, fetched as epoch µs; `rules[i]` says how field i may be a key.

    Fields of a `lookups` table (one joined many-to-one to sessions: a station, a site) are not fetched with every
    row: the table's rows are read once into a dict and each row's fields found there by its key. A session's row
    then carries a third fewer fields, and the database drops the join (an outer join whose columns go unused):
    10 µs a row less on SQLite, 4 µs on PostgreSQL. The fields come last in the raw tuple, in the same raw form."""

    def __init__(self, conn: Connection, query: Select, batch: int, streaming: bool = True,
                 lookups: Sequence[Lookup] = ()):
        """`streaming`: the query walks sessions in order and visits each one's other rows (see _STREAMING)."""
        self.batch = batch
        self.dialect = dialect = conn.dialect
        self.driver = conn.connection.driver_connection
        fetched, looked_up = split_by_lookup(query, lookups)
        keys = [key for lookup in looked_up for key in lookup.keys]
        main = query.with_only_columns(*[self._fetchable(column) for column in fetched],
                                       *[key.label(f"lookup_key_{i}") for i, key in enumerate(keys)],
                                       maintain_column_froms=False)
        if streaming and dialect.name == "postgresql":
            with self.driver.cursor() as settings:
                for name, value in _STREAMING:
                    settings.execute("SELECT set_config(%s, %s, true)", (name, value))
        self.cursor = self._cursor(named=True)
        self.cursor.execute(*driver_statement(conn, main))
        self._fields: list[tuple] = [self._field(column, described)
                                     for column, described in zip(fetched, self.cursor.description)]
        self.keys = [column.key for column in fetched]
        found = []
        for lookup, columns in looked_up.items():
            rows, described = self._read(conn, lookup, columns)
            self._fields += [self._field(column, d) for column, d in zip(columns, described)]
            self.keys += [column.key for column in columns]
            found.append((len(lookup.keys), rows, len(columns)))
        self.rules, self.unique, self.moments, self.decimal_texts, self.converters = (
            [list(part) for part in zip(*self._fields)] or [[], [], [], [], []])
        self._join = _joiner(len(fetched), found) if found else None

    def _fetchable(self, column):
        if isinstance(_base(column.type), DateTime):
            return epoch_micros(column, self.dialect).label(column.key)
        return column

    def _cursor(self, named: bool):
        if self.dialect.name == "postgresql":
            from psycopg.types.string import TextLoader

            # named: rows stay on the server until fetched, memory stays flat
            if named:
                cursor = self.driver.cursor(name=f"chargeledger_report_{next(_names)}")
                cursor.itersize = self.batch
            else:
                cursor = self.driver.cursor()
            cursor.adapters.register_loader("numeric", TextLoader)  # this cursor only
            return cursor
        cursor = self.driver.cursor()
        cursor.arraysize = self.batch
        return cursor

    def _read(self, conn: Connection, lookup: Lookup, columns: list) -> tuple[dict, list]:
        """The lookup table's rows as {key: raw fields}, and the fields' descriptions."""
        cursor = self._cursor(named=False)
        try:
            width = len(lookup.match)
            cursor.execute(*driver_statement(conn, select(*lookup.match, *[self._fetchable(c) for c in columns])))
            rows = {tuple(row[:width]): tuple(row[width:]) for row in cursor.fetchall()}
            return rows, list(cursor.description)[width:]
        finally:
            cursor.close()

    def _field(self, column, described) -> tuple:
        """(key rule, mostly unique, time, decimal text, converter) of one raw field."""
        dialect = self.dialect
        base = _base(column.type)
        rule = key_rule(column.type, dialect)
        time = isinstance(base, DateTime)
        shape = (rule, _mostly_unique(column), time, _decimal_text(base, dialect))
        if time:
            return (*shape, from_epoch)  # times are mostly unique: remembering them only costs
        process = column.type._cached_result_processor(dialect, described[1])
        if isinstance(base, Numeric) and not isinstance(base, Float):
            # a Decimal from text is made in a fraction of a µs, and amounts differ per session: remembering them
            # cost more memory (tens of MB) than it saved time
            return (*shape, _decimal(process) if dialect.name == "postgresql" else process)
        return (*shape, remembered(process, rule == EXACT) if process is not None else None)

    def batches(self) -> Iterator[list[tuple]]:
        fetch, size, join = self.cursor.fetchmany, self.batch, self._join
        while True:
            rows = fetch(size)
            if not rows:
                return
            yield join(rows) if join is not None else rows

    def close(self) -> None:
        self.cursor.close()


def _joiner(width: int, found: list[tuple[int, dict, int]]):
    """rows of `width` fields then the lookup keys -> rows of those fields then the looked-up fields."""
    memo: dict[tuple, tuple] = {}

    def looked_up(key: tuple) -> tuple:
        out: tuple = ()
        at = 0
        for size, rows, count in found:
            out += rows.get(key[at:at + size]) or (None,) * count  # no such row: empty, as an outer join gives
            at += size
        return keep(memo, key, out)

    def join(rows: list[tuple]) -> list[tuple]:
        get = memo.get
        return [row[:width] + (get(key) or looked_up(key)) for row in rows for key in (row[width:],)]
    return join
