"""The one report pipeline: a report's declared columns (catalogue/) become one DuckDB query over the rows the
reader streams as Arrow batches (reader.py); a writer (writers/) turns the query's output into its format.

Reading runs in a thread of its own, so the database (SQLite's ADBC driver in this process, or PostgreSQL's) fills
the next batch while DuckDB computes this one; both release the GIL. Nothing is held per row: memory stays flat.
"""

from __future__ import annotations

import functools
import itertools
import queue
import re
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

from sqlalchemy import Engine

from ..storage.tables import sessions
from .catalogue import REPORTS
from .catalogue.statement import payout_by_organisation
from .cell_sql import Scope, cells_sql, connect, literal, sql_of
from .columns import Column, ReportContext
from .reader import ArrowRows, fields_of
from .request import ReportError, ReportRequest, missing_rights
from .source import LOOKUPS, count, joined_rows, only, report_query

Progress = Callable[[int, int], None]
OUT_BATCH = 8192  # rows DuckDB hands over at once
READ_AHEAD = 3    # batches read before DuckDB takes them: memory stays flat
_DONE = object()


def check_access(request: ReportRequest) -> None:
    report = REPORTS.get(request.report)
    if report is None:
        raise ReportError(f"unknown report {request.report!r}; choose from {', '.join(sorted(REPORTS))}")
    missing = missing_rights(report.rights, request.caller)
    if missing:
        raise ReportError(f"the {report.name} report needs the {' and '.join(missing)} right")


def visible_columns(columns: list[Column], request: ReportRequest) -> list[Column]:
    # Without the finance right, cost/margin/revenue columns are left out (not blanked): the file says only what
    # the reader may know, and its header shows which columns those are.
    return [c for c in columns if c.right is None or request.caller.has(c.right)]


def zone_stated(request: ReportRequest) -> str:
    """The zone a report's times are in, as the file states it."""
    if REPORTS[request.report].time_zone_of == "site":
        return "the time zone of each station's site"
    return request.time_zone


@dataclass
class Plan:
    """A report ready to read: its visible columns, the query of the fields they read, what their SQL may read."""
    request: ReportRequest
    columns: list[Column]
    query: object
    scope: Scope       # the query's fields and the report's context
    flag: str | None   # SQL true where a row is not covered by the columns (Report.uncovered)
    total: int         # rows, when progress is asked for


def plan(engine: Engine, request: ReportRequest, progress: Progress | None = None) -> Plan:
    check_access(request)
    if not _zone_known(request.time_zone):
        raise ReportError(f"reports cannot show times in {request.time_zone}: choose another time zone")
    report = REPORTS[request.report]
    with engine.connect() as conn:
        columns = visible_columns(report.columns(conn, request), request)
        context = ReportContext(request.zone, {"payout": payout_by_organisation(conn, request)})
        query = report_query(request, report.where(request))
        total = count(conn, query) if progress else 0
    every = only(query, {c.key for c in query.selected_columns})
    scope = Scope(fields_of(every, engine.dialect), context)
    flag = report.uncovered(columns) if report.uncovered else None
    said = " ".join([*(sql_of(c, scope) for c in columns), *(c.currency or "" for c in columns), flag or "",
                     *report.derived.values(),
                     *(report.trailing.said(scope) if report.trailing else ())])
    # only the fields some cell's SQL names: less to read and send
    read = {name for name in scope.fields if re.search(rf"\b{re.escape(name)}\b", said)} | {"session_id"}
    query = only(query, read)
    return Plan(request, columns, query, Scope(fields_of(query, engine.dialect), context), flag, total)


def output(engine: Engine, plan: Plan, select: Callable[[str], str], progress: Progress | None = None
           ) -> Iterator:
    """select(cells query) -> the SQL a writer reads; its result as Arrow batches, the sessions' rows then the
    report's trailing rows. A row the columns do not cover fails the report."""
    import pyarrow.compute as pc

    done = 0
    flagged = plan.flag is not None
    derived = REPORTS[plan.request.report].derived
    currencies = tuple(c.currency or "NULL" for c in plan.columns)  # beside the cells: XLSX formats name them
    cells = cells_sql(plan.columns, plan.scope, "batch", plan.flag, currencies, derived=derived)
    for batch in _run(engine, plan.query, select(cells)):
        if flagged and pc.any(batch.column(batch.num_columns - 1)).as_py():
            raise ReportError("the data changed while the report was written; run it again")
        yield batch
        done += batch.num_rows
        if progress:
            progress(done, plan.total)
    if progress and not done:
        progress(0, plan.total)
    trailing = REPORTS[plan.request.report].trailing
    if trailing is not None:
        with engine.connect() as conn:
            moves = trailing.table(conn, plan.request)
        if moves.num_rows:
            # the moved sessions' rows were covered in their own rows: the flag's column is kept, false
            cells = cells_sql(plan.columns, plan.scope, "batch", "false" if flagged else None,
                              currencies, trailing.overrides(plan.columns, plan.scope), trailing.rows,
                              derived)
            ids = sorted(set(moves.column("move_session_id").to_pylist()))
            fields = {column.key for column in plan.query.selected_columns}
            query = only(joined_rows().where(sessions.c.id.in_(ids)), fields)
            yield from _run(engine, query, select(cells), {"moves": moves})


@functools.cache
def _zone_known(zone: str) -> bool:
    """Whether DuckDB's zone data (ICU) knows the viewer's zone."""
    import duckdb

    try:
        duckdb.connect().execute(f"SELECT timezone({literal(zone)}, TIMESTAMPTZ '2024-01-01 00:00:00+00')")
        return True
    except duckdb.Error:
        return False


def _run(engine: Engine, query, sql: str, tables: dict | None = None) -> Iterator:
    """The SQL's result over the query's rows (the table `batch`), as Arrow batches in order."""
    rows = ArrowRows(engine, query, lookups=LOOKUPS)
    batches: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def offer(item) -> bool:
        """Hand `item` to the DuckDB thread; False once it has stopped taking them."""
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
        except BaseException as error:  # raised in the DuckDB thread
            offer(error)

    def fetched():
        while (batch := batches.get()) is not _DONE:
            if isinstance(batch, BaseException):
                raise batch
            yield batch

    reader = threading.Thread(target=read, name="report-reader", daemon=True)
    reader.start()
    duck = None
    try:
        arriving = fetched()
        first = next(arriving, None)
        if first is None:
            return
        import pyarrow as pa

        duck = connect()
        for name, table in (tables or {}).items():
            duck.register(name, table)
        # one query over every batch, as they arrive: planning it takes DuckDB a tenth of a second
        duck.register("batch", pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], arriving)))
        relation = duck.sql(sql)
        # DuckDB 1.4 named it to_arrow_reader; earlier ones only fetch_record_batch, which 2.0 dropped
        yield from (getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch)(OUT_BATCH)
    finally:
        stop.set()
        reader.join()
        if duck is not None:
            duck.close()
        rows.close()

