"""A CSV report written a batch at a time: the database's rows as Arrow batches (reports/arrow_rows.py), each
batch's lines formatted by DuckDB from the columns' SQL twins (reports/duck_cells.py), written as they come.

Row by row, Python spent 30-40 µs on a statement line and the driver another 10 building its values; here no
Python object is made per row or field. Reading runs in a thread of its own, so the database (SQLite in this
process, or PostgreSQL's driver) fills the next batch while DuckDB formats this one; both release the GIL.

A report is written this way when every visible column has a twin and the database has an ADBC driver; otherwise
(or when the viewer's zone is one DuckDB's time zone data lacks) reports/csv_parts.py writes it row by row. Both
give the same bytes (tests/reports/test_statement_identity.py).
"""

from __future__ import annotations

import csv
import io
import itertools
import queue
import threading
from typing import IO

from sqlalchemy import Engine

from .arrow_rows import ArrowRows, Unsupported, available, fields_of
from .catalogue import REPORTS
from .duck_cells import MACROS, NoTwin, lines_sql, literal
from .request import ReportError, ReportRequest
from .prepared import Progress, prepared
from .source import LOOKUPS, extent, order_keys
from .writers.csv_file import BOM

LINES_BATCH = 8192  # lines DuckDB hands over at once
READ_AHEAD = 3  # batches read before DuckDB takes them (while the columns are found): memory stays flat
DUCK_MEMORY = "256MB"  # batches are small; DuckDB's default would be most of the machine's memory
_DONE = object()


class _Plan:
    """What a vectorised report needs before any row is read: the query and the fields it reads."""

    def __init__(self, request: ReportRequest, query, fields: list, total: int):
        self.request, self.query, self.fields, self.total = request, query, fields, total


def plan(engine: Engine, request: ReportRequest, progress: Progress | None = None) -> _Plan | None:
    """The vectorised plan of the report, or None when it must be written row by row.

    A report with provisional columns (Report.provisional_columns) is planned from those, without its column
    queries: write() runs them while the rows are read."""
    if not available(engine):
        return None
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return None
    report = REPORTS[request.report]
    with engine.connect() as conn:
        provisional = report.provisional_columns() if report.provisional_columns else None
        columns, context, query = prepared(conn, request, columns=provisional)
        total = extent(conn, order_keys(query))[0] if progress else 0
    try:
        fields = fields_of(query, engine.dialect)
        lines_sql(columns, fields, context, "batch")  # every column has a twin
        _zone_known(context.time_zone.key)
    except (NoTwin, Unsupported):
        return None
    return _Plan(request, query, fields, total)


def _lines(engine: Engine, plan: _Plan) -> tuple[list[str], str]:
    """The report's real column names and its lines' SQL, with a flag column where a row is not covered."""
    request = plan.request
    report = REPORTS[request.report]
    with engine.connect() as conn:
        columns, context, query = prepared(conn, request)
    read = {field.name for field in fields_of(query, engine.dialect)}
    missing = read - {field.name for field in plan.fields}
    if missing:  # the provisional columns must read what any real ones do
        raise ReportError(f"the {report.name} report's provisional columns do not read {', '.join(sorted(missing))}")
    flag = report.uncovered(columns) if report.uncovered is not None else None
    return [c.name for c in columns], lines_sql(columns, plan.fields, context, "batch", flag)


def _duck():
    import duckdb

    duck = duckdb.connect(config={"threads": 1, "memory_limit": DUCK_MEMORY})
    duck.execute("SET TimeZone = 'UTC'")  # epoch µs become UTC instants before moving to the viewer's zone
    for macro in MACROS:
        duck.execute(macro)
    return duck


_known_zones: dict[str, bool] = {}


def _zone_known(zone: str) -> None:
    """DuckDB's zone data (ICU) must know the viewer's zone; it lists candidates for one it does not."""
    if zone not in _known_zones:
        import duckdb

        try:
            duckdb.connect().execute(f"SELECT timezone({literal(zone)}, TIMESTAMPTZ '2024-01-01 00:00:00+00')")
            _known_zones[zone] = True
        except duckdb.Error:
            _known_zones[zone] = False
    if not _known_zones[zone]:
        raise NoTwin(f"DuckDB knows no zone {zone}")


def write(engine: Engine, plan: _Plan, out: IO[bytes], progress: Progress | None = None) -> int:
    """The report's CSV into the binary `out`, header first; returns the rows."""
    rows = ArrowRows(engine, plan.query, lookups=LOOKUPS)  # the database starts on them while columns are found
    batches: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def offer(item) -> bool:
        """Hand `item` to the writing thread; False once it has stopped taking them."""
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in rows.batches():
                if not offer(batch):
                    return
            offer(_DONE)
        except BaseException as error:  # raised in the writing thread
            offer(error)

    reader = threading.Thread(target=read, name="report-reader", daemon=True)
    reader.start()

    def fetched():
        while (batch := batches.get()) is not _DONE:
            if isinstance(batch, BaseException):
                raise batch
            yield batch

    written = 0
    duck = None
    try:
        duck = _duck()
        header, sql = _lines(engine, plan)
        head = io.StringIO()
        csv.writer(head, lineterminator="\r\n").writerow(header)
        out.write((BOM + head.getvalue()).encode())
        arriving = fetched()
        first = next(arriving, None)
        if first is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            # one query over every batch, as they arrive: planning the line's query takes DuckDB over a tenth
            # of a second, as long as formatting 15,000 rows, so it is planned once. One thread keeps the order.
            duck.register("batch", pa.RecordBatchReader.from_batches(first.schema,
                                                                     itertools.chain([first], arriving)))
            relation = duck.sql(sql)
            # DuckDB 1.4 named it to_arrow_reader; earlier ones only fetch_record_batch, which 2.0 dropped
            lines = (getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch)(LINES_BATCH)
            for batch in lines:
                if batch.num_columns > 1 and pc.any(batch.column(1)).as_py():
                    raise ReportError("the data changed while the report was written; run it again")
                _write_text(out, batch.column(0))
                written += batch.num_rows
                if progress:
                    progress(written, plan.total)
        if progress and not written:
            progress(0, plan.total)
        return written
    finally:
        stop.set()
        reader.join()
        if duck is not None:
            duck.close()
        rows.close()


def _write_text(out: IO[bytes], chunk) -> None:
    """A string array's values written as one run of bytes: they lie back to back in its data buffer."""
    if not len(chunk):
        return
    import pyarrow as pa

    _validity, offsets, data = chunk.buffers()
    # int32 offsets for a string array, int64 for a large one; a slice starts `chunk.offset` values in
    offsets = memoryview(offsets).cast("q" if pa.types.is_large_string(chunk.type) else "i")
    out.write(memoryview(data)[offsets[chunk.offset]:offsets[chunk.offset + len(chunk)]])
