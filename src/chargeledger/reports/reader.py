"""The one reader of report rows: a query's rows as Arrow record batches, read by the database's ADBC driver, so
no Python object is made per field. Every writer (reports/pipeline.py) formats these batches with DuckDB. Fields
come in one form per kind, the same on every database, so a cell's SQL (reports/cell_sql.py) has one form to read:

- times: their UTC instant; SQLite's its stored text, PostgreSQL's its timestamp (the cell SQL reads either as
  epoch µs: cell_sql.field_value; DuckDB parses SQLite's text in a tenth of what SQLite's date functions took);
- fixed-point numerics: their text with the column's scale, as SQLAlchemy would build their Decimal: PostgreSQL's
  own numeric text; SQLite's float printed "%.<scale>f" (SQLAlchemy's reading) by the formatter, as SQLite keeps
  numerics as floats;
- everything else as the driver gives it (text, integer, float, boolean).

SQLite keeps no column types, so the ADBC SQLite driver guesses each field's type from the first rows and fails
when a later row disagrees (a field empty in January's sessions and text in March's). Each SQLite field is
therefore fetched cast to its type, after one prototype row holding a value of every field's type, which the
driver guesses from and this module drops. (Typed zeros for empties and a bit mask of them, put back per batch,
cost 0.4 s of CPU per 100k statement rows; a flag column per field cost a third of the reading time.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from sqlalchemy import (
    Boolean, DateTime, Float, Integer, Numeric, String, Table, Text, cast, select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from sqlalchemy.types import TypeDecorator

from .sqlite_snapshot import Snapshot

BATCH_ROWS = 8_192  # rows a batch holds (about, on PostgreSQL, whose driver sizes batches by bytes); more cost memory


@dataclass(frozen=True)
class Field:
    """One fetched field: its name (the row attribute), its form, and for a numeric its scale."""
    name: str
    form: str          # "time", "numeric", "float", "integer", "boolean", "text"
    scale: int = 0
    sqlite: bool = False  # in SQLite's storage: a numeric as a float, a time as its text


# a column type's form (the first it is an instance of; a fixed-point Numeric is "numeric", before these)
_FORMS = ((DateTime, "time"), (Float, "float"), (Numeric, "float"), (Boolean, "boolean"), (Integer, "integer"),
          (String, "text"))  # String: Text and the JSON fields, already cast to text (source.only)


def form_of(type_) -> tuple[str, int]:
    base = type_.impl if isinstance(type_, TypeDecorator) else type_
    if isinstance(base, Numeric) and base.asdecimal and not isinstance(base, Float):
        if base.scale is None:
            raise Unsupported(f"a numeric without a scale ({type_})")
        return "numeric", base.scale
    form = next((form for kind, form in _FORMS if isinstance(base, kind)), None)
    if form is None:
        raise Unsupported(f"no Arrow form for {type_}")
    return form, 0


class Unsupported(Exception):
    """A field no report can read (a programming error: a column type without an Arrow form)."""


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


def _connect(engine: Engine):
    """An ADBC connection, and the SQLite snapshot it reads (None on PostgreSQL) to remove after it."""
    if engine.dialect.name == "postgresql":
        import adbc_driver_postgresql.dbapi as adbc

        return adbc.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False)), None
    import adbc_driver_sqlite.dbapi as adbc

    # never the live file: ADBC's own SQLite library closing it would delete the WAL under our engine
    snapshot = Snapshot(engine)
    try:
        return adbc.connect(snapshot.path), snapshot
    except BaseException:
        snapshot.close()
        raise


# A report streams the sessions of a time range in start order and visits each one's settlement, payment, station
# and site by index: a streaming nested loop whose rows need no sort. Costing random index probes high, PostgreSQL
# instead hashed the whole payments table and sorted the result (spilling to disk), and JIT-compiled the query.
# Parallel plans are off as our own processes share the cores. For the ADBC connection's session only.
_STREAMING = ("SET jit = off", "SET enable_hashjoin = off", "SET enable_mergejoin = off",
              "SET max_parallel_workers_per_gather = 0")


def fields_of(query: Select, dialect) -> list[Field]:
    """The fields of the query's rows as ArrowRows reads them."""
    return [Field(column.key, *form_of(column.type), dialect.name == "sqlite") for column in query.selected_columns]


def _statement(query: Select, dialect) -> tuple[str, list[Field]]:
    """The query's SQL selecting each field in its fetched form (see the module), and the fields."""
    fields = fields_of(query, dialect)
    selected = []
    sqlite = dialect.name == "sqlite"
    for column, field in zip(query.selected_columns, fields):
        value = cast(column, Text) if field.form == "numeric" and not sqlite else column
        selected.append(value.label(column.key))
    statement = query.with_only_columns(*selected, maintain_column_froms=False)
    # literal values: ADBC binds parameters by Arrow type, which a JSON path or an IN list do not have; the
    # values are the request's own (dates, organisation ids), rendered and escaped by SQLAlchemy
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}))
    return (_typed(sql, fields) if sqlite else sql), fields


# SQLite: each form's storage class, and the prototype row's value of it
_STORED = {"text": ("TEXT", "''"), "time": ("TEXT", "''"), "float": ("REAL", "0.0"), "numeric": ("REAL", "0.0")}


def _typed(sql: str, fields: list[Field]) -> str:
    """SQLite: every field cast to its storage class, after the prototype row (see the module). The query runs as a
    subquery (a co-routine: `LIMIT -1` keeps SQLite from merging it into this one), its rows after that one."""
    stored = [(quoted(field.name), *_STORED.get(field.form, ("INTEGER", "0"))) for field in fields]
    prototype = ", ".join(f"{zero} AS {name}" for name, _storage, zero in stored)
    typed = ", ".join(f"CAST({name} AS {storage}) AS {name}" for name, storage, _zero in stored)
    return f"SELECT {prototype} UNION ALL SELECT {typed} FROM ({sql} LIMIT -1)"


def quoted(name: str) -> str:
    """A name as an SQL identifier (SQLite's and DuckDB's quoting)."""
    return '"' + name.replace('"', '""') + '"'


class _LookedUp:
    """A lookup table's rows (Lookup), read once: its fields for a batch's keys, outer-join style."""

    def __init__(self, table, match_width: int, names: list[str]):
        self.width, self.names = match_width, names
        # one array each (a batch takes from them)
        self.columns = [table.column(i).combine_chunks() for i in range(match_width, table.num_columns)]
        self.index = _key([table.column(i).combine_chunks() for i in range(match_width)])

    def fields(self, keys: list) -> list:
        import pyarrow.compute as pc

        positions = pc.index_in(_key(keys, self.index.type), value_set=self.index)  # no match: empty
        return [column.take(positions) for column in self.columns]


_KEY_SEPARATOR = "\x1f"  # between the parts of a two-column key, as text (no id holds a unit separator)


def _key(parts: list, as_type=None):
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(parts) == 1:
        key = parts[0]
        return key.cast(as_type) if as_type is not None and key.type != as_type else key
    return pc.binary_join_element_wise(*[pc.cast(part, pa.string()) for part in parts], _KEY_SEPARATOR)


class ArrowRows:
    """The query's rows as record batches of `fields`; close() ends the read (and the connection).

    Fields of a `lookups` table (one joined many-to-one to sessions: a station, a site) are not fetched with every
    row: the table is read once and each batch takes its fields by the rows' keys. The
    database then drops the unused joins: a fifth fewer fields to send and convert."""

    def __init__(self, engine: Engine, query: Select, batch_rows: int | None = None, lookups: Sequence = ()):
        self.dialect = dialect = engine.dialect
        batch_rows = batch_rows or BATCH_ROWS
        self.fields = fields_of(query, dialect)
        fetched, looked_up = split_by_lookup(query, lookups)
        keys = [key.label(f"lookup_key_{i}") for i, key in enumerate(k for lookup in looked_up for k in lookup.keys)]
        self.sql, self._fetched = _statement(query.with_only_columns(*fetched, *keys, maintain_column_froms=False),
                                             dialect)
        self._width = len(fetched)
        self.cursor = self.snapshot = None
        self.connection, self.snapshot = _connect(engine)
        try:
            self._looked_up = [self._read(lookup, columns) for lookup, columns in looked_up.items()]
            self.cursor = self.connection.cursor()
            if dialect.name == "sqlite":
                self.cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
            else:
                # batches of about 250 bytes a row: small, so memory stays flat and reading overlaps formatting
                self.cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes":
                                                          str(batch_rows * 250)})
                for setting in _STREAMING:
                    self.cursor.execute(setting)
            self.cursor.execute(self.sql)
            self.reader = self.cursor.fetch_record_batch()
        except BaseException:
            self.close()
            raise

    def _read(self, lookup, columns: list) -> _LookedUp:
        match = [column.label(f"match_{i}") for i, column in enumerate(lookup.match)]
        sql, fields = _statement(select(*match, *columns), self.dialect)
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
        finally:
            cursor.close()
        if self.dialect.name == "sqlite":
            table = _from_sqlite(table, fields, True)
        return _LookedUp(table, len(match), [column.key for column in columns])

    def batches(self) -> Iterator[Any]:
        """pyarrow RecordBatches with one column per field, in the query's order."""
        import pyarrow as pa

        sqlite = self.dialect.name == "sqlite"
        width = self._width
        for index, batch in enumerate(self.reader):
            if sqlite:
                batch = _from_sqlite(batch, self._fetched, index == 0)
            if not batch.num_rows:
                continue
            if not self._looked_up:
                yield batch
                continue
            columns = [batch.column(i) for i in range(width)]
            names = [field.name for field in self._fetched[:width]]
            at = width
            for looked in self._looked_up:
                columns += looked.fields([batch.column(i) for i in range(at, at + looked.width)])
                names += looked.names
                at += looked.width
            yield pa.RecordBatch.from_arrays(columns, names=names)

    def close(self) -> None:
        for part in ("cursor", "connection", "snapshot"):
            handle = getattr(self, part, None)
            if handle is not None:
                try:
                    handle.close()
                finally:
                    setattr(self, part, None)


def _from_sqlite(batch, fields: list[Field], first: bool):
    """A SQLite batch (or table) without the prototype row (in the first), its booleans (integers) as booleans."""
    import pyarrow as pa

    batch = batch.slice(1) if first else batch
    if not any(field.form == "boolean" for field in fields):
        return batch
    columns = [batch.column(i).cast(pa.bool_()) if field.form == "boolean" else batch.column(i)
               for i, field in enumerate(fields)]
    return type(batch).from_arrays(columns, names=[field.name for field in fields])
