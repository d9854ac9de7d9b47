"""Running a report: check the ask, choose the columns the caller may see, stream rows into a writer."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine

from ..access.rights import Right
from ..settings import current
from .catalogue import REPORTS
from .catalogue.statement import payout_by_organisation
from .columns import Column, ReportContext
from .csv_parts import write_csv
from .prepared import (  # noqa: F401 - re-exported: run is where callers find a report's pieces
    TEXT_BATCH, CompiledLines, Progress, check_access, compiled_batches, prepared, visible_columns,
)
from .request import ReportError, ReportRequest
from .source import count, stream
from .writers import WRITERS
from . import vector_csv

# CSV files are written a batch at a time by DuckDB where the report allows (reports/vector_csv.py);
# CHARGELEDGER_REPORT_WRITER=rows keeps the row-by-row writer (to compare them)
VECTORISED = current().report_writer != "rows"


def zone_stated(request: ReportRequest) -> str:
    """The zone a report's times are in, as the file states it."""
    if REPORTS[request.report].time_zone_of == "site":
        return "the time zone of each station's site"
    return request.time_zone


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
        columns, context, query = prepared(conn, request)
        for row in _streamed(conn, query, progress):
            yield columns, [c.value(row, context) for c in columns], row


def text_batches(engine: Engine, request: ReportRequest, progress: Progress | None = None
                 ) -> Iterator[list[str]]:
    """The CSV lines, in batches of rows, in one process (a streamed download)."""
    check_access(request)
    with engine.connect() as conn:
        columns, context, query = prepared(conn, request)
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
