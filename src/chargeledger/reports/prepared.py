"""What every CSV path shares, apart from the writers: the access check, the visible columns, the query of only
the fields they read, and the compiled line function. run.py, csv_parts.py and vector_csv.py build on it, so none
of them imports another's internals (they imported each other in a circle)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Iterator

from .catalogue import REPORTS
from .catalogue.statement import payout_by_organisation
from .columns import Column, ReportContext
from .compiled_raw import raw_row_line
from .fields import fields_read
from .raw_rows import RawRows
from .request import ReportError, ReportRequest, missing_rights
from .source import LOOKUPS, only, report_query

Progress = Callable[[int, int], None]
TEXT_BATCH = 500  # rows handed to csv.writerows at once; small enough for a prompt streamed download


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


def prepared(conn, request: ReportRequest, generated_at: datetime | None = None, names: list[str] | None = None,
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
