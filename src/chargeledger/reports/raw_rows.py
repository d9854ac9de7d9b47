"""Report rows straight from the DBAPI cursor: SQLAlchemy compiles and binds the query, nothing builds Row objects.

SQLAlchemy's per-row result processing was ~10 µs of a statement row; here each field keeps its raw driver value
and is converted (by SQLAlchemy's own result processor for its type, so values stay identical) only where a
column needs it. PostgreSQL streams through a named server-side cursor, SQLite through its plain cursor.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator

from sqlalchemy import DateTime, Float, Numeric
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.types import TypeDecorator

from .local_clock import epoch_microseconds
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


def exact_key(type_, dialect) -> bool:
    """Whether equal raw values of this type always convert to the same value (no 0.0/-0.0 or 1/1.0 pairs)."""
    base = _base(type_)
    if isinstance(base, Float):
        return False
    # SQLite hands numerics over as floats; PostgreSQL as Decimals of the column's fixed scale
    return not (isinstance(base, Numeric) and (dialect.name == "sqlite" or base.scale is None))


def remembered(process: Convert, exact: bool) -> Convert:
    """process(raw) remembered by raw value: prices, zones and JSON summaries repeat across sessions."""
    return remembered_by_value(process, None, zero_is_a_key=exact)


def _mostly_unique(column) -> bool:
    """Times and keys differ from session to session: remembering by them costs a miss and an entry per row."""
    element = getattr(column, "element", column)
    return isinstance(_base(column.type), DateTime) or bool(getattr(element, "primary_key", False))


def epoch_reader(type_, dialect, described) -> Convert:
    """raw time -> epoch µs, through the driver-level parser only (the UTC decorator's work is arithmetic here)."""
    parse = _base(type_)._cached_result_processor(dialect, described)

    def read(raw):
        if raw is None:
            return None
        return epoch_microseconds(parse(raw) if parse is not None else raw)
    return read


class RawRows:
    """An open cursor over the query: `converters[i]` turns raw field i into SQLAlchemy's value (None: as is);
    `moments[i]` turns a time field into epoch µs (None for other fields)."""

    def __init__(self, conn: Connection, query: Select, batch: int):
        self.batch = batch
        dialect = conn.dialect
        sql, params = driver_statement(conn, query)
        driver = conn.connection.driver_connection
        if dialect.name == "postgresql":  # named: rows stay on the server until fetched, memory stays flat
            self.cursor = driver.cursor(name=f"chargeledger_report_{next(_names)}")
            self.cursor.itersize = batch
        else:
            self.cursor = driver.cursor()
            self.cursor.arraysize = batch
        self.cursor.execute(sql, params)
        description = self.cursor.description
        self.keys = [column.key for column in query.selected_columns]
        self.exact = [exact_key(column.type, dialect) for column in query.selected_columns]
        self.unique = [_mostly_unique(column) for column in query.selected_columns]
        self.converters: list[Convert | None] = []
        self.moments: list[Convert | None] = [
            epoch_reader(column.type, dialect, described[1]) if isinstance(_base(column.type), DateTime) else None
            for column, described in zip(query.selected_columns, description)]
        for column, described, exact in zip(query.selected_columns, description, self.exact):
            process = column.type._cached_result_processor(dialect, described[1])
            if process is not None and not isinstance(_base(column.type), DateTime):
                process = remembered(process, exact)  # times are mostly unique: remembering them only costs
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
