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
from typing import Any, Callable, Iterator

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Float, Integer, Numeric, String, cast, extract, func
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.types import TypeDecorator

from .memo import remembered_by_value

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
    `moments[i]` is true for a time field, fetched as epoch µs; `rules[i]` says how field i may be a key."""

    def __init__(self, conn: Connection, query: Select, batch: int, streaming: bool = True):
        """`streaming`: the query walks sessions in order and visits each one's other rows (see _STREAMING)."""
        self.batch = batch
        dialect = conn.dialect
        selected = list(query.selected_columns)
        times = [isinstance(_base(column.type), DateTime) for column in selected]
        query = query.with_only_columns(
            *[epoch_micros(column, dialect).label(column.key) if time else column
              for column, time in zip(selected, times)], maintain_column_froms=False)
        sql, params = driver_statement(conn, query)
        driver = conn.connection.driver_connection
        postgres = dialect.name == "postgresql"
        if postgres:  # named: rows stay on the server until fetched, memory stays flat
            if streaming:
                with driver.cursor() as settings:
                    for name, value in _STREAMING:
                        settings.execute("SELECT set_config(%s, %s, true)", (name, value))
            self.cursor = driver.cursor(name=f"chargeledger_report_{next(_names)}")
            self.cursor.itersize = batch
            from psycopg.types.string import TextLoader

            self.cursor.adapters.register_loader("numeric", TextLoader)  # this cursor only
        else:
            self.cursor = driver.cursor()
            self.cursor.arraysize = batch
        self.cursor.execute(sql, params)
        description = self.cursor.description
        self.keys = [column.key for column in selected]
        self.rules = [key_rule(column.type, dialect) for column in selected]
        self.unique = [_mostly_unique(column) for column in selected]
        self.moments = times
        self.converters: list[Convert | None] = []
        # (scale, raw -> the text of the Decimal SQLAlchemy gives, None: the raw value is that text) for numerics
        self.decimal_texts: list[tuple[int, Convert | None] | None] = []
        for column, described, time, rule in zip(selected, description, times, self.rules):
            base = _base(column.type)
            self.decimal_texts.append(_decimal_text(base, dialect))
            if time:
                self.converters.append(from_epoch)  # times are mostly unique: remembering them only costs
                continue
            process = column.type._cached_result_processor(dialect, described[1])
            if isinstance(base, Numeric) and not isinstance(base, Float):
                # a Decimal from text is made in a fraction of a µs, and amounts differ per session: remembering
                # them cost more memory (tens of MB) than it saved time
                self.converters.append(_decimal(process) if postgres else process)
                continue
            if process is not None:
                process = remembered(process, rule == EXACT)
            self.converters.append(process)

    def batches(self) -> Iterator[list[tuple]]:
        fetch, size = self.cursor.fetchmany, self.batch
        while True:
            rows = fetch(size)
            if not rows:
                return
            yield rows

    def close(self) -> None:
        self.cursor.close()
