"""Running a report: check the ask, choose the columns the caller may see, stream rows into a writer."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Engine

from ..access.rights import Right
from ..settings import current
from .catalogue import REPORTS
from .catalogue.statement import payout_by_organisation
from .columns import Column, ReportContext
from .compiled_raw import raw_row_line
from .fields import fields_read
from .raw_rows import RawRows
from .request import ReportError, ReportRequest
from .source import LOOKUPS, count, only, report_query, stream
from .writers import WRITERS

Progress = Callable[[int, int], None]
TEXT_BATCH = 500  # rows handed to csv.writerows at once; small enough for a prompt streamed download
# CSV files are written a batch at a time by DuckDB where the report allows (reports/vector_csv.py);
# CHARGELEDGER_REPORT_WRITER=rows keeps the row-by-row writer (to compare them)
VECTORISED = current().report_writer != "rows"


def check_access(request: ReportRequest) -> None:
    report = REPORTS.get(request.report)
    if report is None:
        raise ReportError(f"unknown report {request.report!r}; choose from {', '.join(sorted(REPORTS))}")
    missing = [r.value for r in report.rights if not request.caller.has(r)]
    if missing:
        raise ReportError(f"the {report.name} report needs the {' and '.join(missing)} right")


def zone_stated(request: ReportRequest) -> str:
    """The zone a report's times are in, as the file states it."""
    if REPORTS[request.report].time_zone_of == "site":
        return "the time zone of each station's site"
    return request.time_zone


def visible_columns(columns: list[Column], request: ReportRequest) -> list[Column]:
    # Without the finance right, cost/margin/revenue columns are left out (not blanked): the file says only what
    # the reader may know, and its header shows which columns those are.
    return [c for c in columns if c.right is None or request.caller.has(c.right)]


def _prepared(conn, request: ReportRequest, generated_at: datetime | None = None, names: list[str] | None = None,
              columns: list[Column] | None = None) -> tuple[list[Column], ReportContext, object]:
    """The visible columns, their context, and the query selecting only the fields those columns read.
    `names`: the visible column names already found in this same snapshot, so the columns need no query;
    `columns`: the columns themselves."""
    report = REPORTS[request.report]
    if columns is not None:
        columns = visible_columns(columns, request)
    elif names is not None and report.columns_named is not None:
        columns = visible_columns(report.columns_named(names), request)
    else:
        columns = visible_columns(report.columns(conn, request), request)
    context = ReportContext(request.zone, generated_at or datetime.now(timezone.utc),
                            {"payout": payout_by_organisation(conn, request)})
    query = report_query(request, report.where(request))
    fields = fields_read(columns, (c.key for c in query.selected_columns))
    return columns, context, only(query, None if fields is None else fields | {"session_id"})


def _streamed(conn, query, progress: Progress | None) -> Iterator:
    total = count(conn, query) if progress else 0
    done = 0
    for row in stream(conn, query):
        yield row
        done += 1
        if progress and done % 1000 == 0:
            progress(done, total)
    if progress:
        progress(done, total)


def rows(engine: Engine, request: ReportRequest, progress: Progress | None = None
         ) -> Iterator[tuple[list[Column], list, object]]:
    """Yield (columns, values, row) per session, streaming; progress(done, total) after each batch."""
    check_access(request)
    with engine.connect() as conn:
        columns, context, query = _prepared(conn, request)
        for row in _streamed(conn, query, progress):
            yield columns, [c.value(row, context) for c in columns], row


class CompiledLines:
    """The report's line function (reports/compiled_raw.py), compiled from the first batch of rows it meets and
    then kept: the ranges one process writes share it, and its memories."""

    def __init__(self, columns: list[Column], context: ReportContext):
        self.columns, self.context = columns, context
        self.line = None

    def batches(self, conn, query, progress: Progress | None = None, total: int = 0) -> Iterator[list[str]]:
        """The CSV lines of the query's rows, in batches; progress(done, total) after each."""
        source = RawRows(conn, query, TEXT_BATCH, lookups=LOOKUPS)
        done = 0
        try:
            for raw in source.batches():
                if self.line is None:
                    self.line = raw_row_line(self.columns, self.context, source.keys, source.converters,
                                             source.rules, source.unique, source.moments, raw,
                                             source.decimal_texts)
                line = self.line
                yield [line(row) for row in raw]
                done += len(raw)
                if progress:
                    progress(done, total)
        finally:
            source.close()
        if progress and not done:
            progress(0, total)


def compiled_batches(conn, columns: list[Column], context: ReportContext, query,
                     progress: Progress | None = None, total: int = 0) -> Iterator[list[str]]:
    """The CSV lines of the query's rows, in batches: raw driver rows formatted by the compiled function."""
    return CompiledLines(columns, context).batches(conn, query, progress, total)


def text_batches(engine: Engine, request: ReportRequest, progress: Progress | None = None
                 ) -> Iterator[list[str]]:
    """The CSV lines, in batches of rows, in one process (a streamed download)."""
    check_access(request)
    with engine.connect() as conn:
        columns, context, query = _prepared(conn, request)
        total = count(conn, query) if progress else 0
        yield from compiled_batches(conn, columns, context, query, progress, total)


def header(engine: Engine, request: ReportRequest) -> list[Column]:
    check_access(request)
    with engine.connect() as conn:
        return visible_columns(REPORTS[request.report].columns(conn, request), request)


def trailing_rows(engine: Engine, request: ReportRequest, columns: list[Column]) -> Iterator[tuple[list, object]]:
    """The report's rows after the sessions' (Report.trailing), for these visible columns."""
    trailing = REPORTS[request.report].trailing
    if trailing is None:
        return
    with engine.connect() as conn:
        context = ReportContext(request.zone, datetime.now(timezone.utc),
                                {"payout": payout_by_organisation(conn, request)})
        yield from trailing(conn, request, columns, context)


def _columns_of_file(request: ReportRequest, path: str) -> list[Column]:
    """The visible columns of a CSV file's header: the trailing rows follow exactly the columns written."""
    with open(path, encoding="utf-8-sig", newline="") as written:
        names = next(csv.reader(written))
    report = REPORTS[request.report]
    by_name = {c.name: c for c in report.columns_named(names)} if report.columns_named else None
    if by_name is None:
        raise ReportError(f"the {report.name} report cannot add rows after its sessions")
    return [by_name[name] for name in names]


def _append_trailing(engine: Engine, request: ReportRequest, path: str) -> int:
    if REPORTS[request.report].trailing is None:
        return 0
    from .writers.csv_file import CsvWriter

    added = 0
    with open(path, "a", encoding="utf-8", newline="") as out:
        writer = CsvWriter(out, _columns_of_file(request, path), header=False)
        for values, row in trailing_rows(engine, request, writer.columns):
            writer.write(values, row)
            added += 1
    return added


def write_report(engine: Engine, request: ReportRequest, fmt: str, target: Path,
                 progress: Progress | None = None, workers: int | None = None) -> int:
    """Write the report to `target`; on any error no file is left behind. Returns the number of rows.
    A large CSV is written by up to `workers` processes (default csv_parts.worker_count())."""
    if fmt not in WRITERS:
        raise ReportError(f"unknown format {fmt!r}; choose from {', '.join(WRITERS)}")
    check_access(request)
    target = Path(target)
    handle, temp_name = tempfile.mkstemp(dir=target.parent or ".", prefix=".report-", suffix="." + fmt)
    os.close(handle)
    written = 0
    try:
        writer_class = WRITERS[fmt]
        title = REPORTS[request.report].title
        if writer_class.binary:  # XlsxWriter streams to the file name itself
            writer = writer_class(temp_name, header(engine, request), title, zone_stated(request))
            for _columns, values, row in rows(engine, request, progress):
                writer.write(values, row)
                written += 1
            for values, row in trailing_rows(engine, request, writer.columns):
                writer.write(values, row)
                written += 1
            writer.close()
        else:
            from . import vector_csv
            from .csv_parts import write_csv  # both build on this module's functions

            plan = vector_csv.plan(engine, request, progress) if VECTORISED else None
            if plan is not None:
                with open(temp_name, "wb", buffering=1 << 20) as binary:
                    written = vector_csv.write(engine, plan, binary, progress)
            else:
                with open(temp_name, "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
                    written = write_csv(engine, request, out, Path(temp_name).parent, progress, workers)
            written += _append_trailing(engine, request, temp_name)
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return written


def csv_chunks(engine: Engine, request: ReportRequest) -> Iterator[bytes]:
    """The CSV as byte chunks, for a streamed HTTP download."""
    from .writers.csv_file import CsvWriter

    buffer = io.StringIO()
    writer = CsvWriter(buffer, header(engine, request))
    for batch in text_batches(engine, request):
        writer.write_lines(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    for values, row in trailing_rows(engine, request, writer.columns):
        writer.write(values, row)
    yield buffer.getvalue().encode()


__all__ = ["Right", "ReportError", "check_access", "csv_chunks", "rows", "text_batches", "write_report"]
