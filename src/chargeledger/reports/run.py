"""Running a report: check the ask, plan it (pipeline.py), write it in the asked format to a file, or stream CSV."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from sqlalchemy import Engine

from .pipeline import Progress, check_access, plan
from .request import ReportError, ReportRequest
from .writers import WRITERS
from .writers.csv_file import chunks
from .writers.zip_file import write_zip

FORMATS = (*WRITERS, "zip")


def bundle(request: ReportRequest, reports: Sequence[str] = ()) -> list[ReportRequest]:
    """The request for each report of a ZIP (default the request's own), every one checked as it would be alone."""
    asked = [replace(request, report=name) for name in dict.fromkeys(reports or (request.report,))]
    for each in asked:
        check_access(each)
    return asked


def write_report(engine: Engine, request: ReportRequest, fmt: str, target: Path, progress: Progress | None = None,
                 reports: Sequence[str] = (), members: Sequence[str] = ("csv",)) -> int:
    """Write the report to `target`; on any error no file is left behind. Returns the number of rows. A ZIP holds
    `reports` (default the request's), each in every format of `members`."""
    if fmt not in FORMATS or (fmt == "zip" and not set(members) <= set(WRITERS)):
        raise ReportError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}, a ZIP's members from "
                          f"{', '.join(WRITERS)}")
    if fmt == "zip":
        plans = [plan(engine, each, progress) for each in bundle(request, reports)]
        members = tuple(dict.fromkeys(members))
        write = lambda out: write_zip(engine, plans, members, out, progress)  # noqa: E731
    else:
        ready = plan(engine, request, progress)
        write = lambda out: WRITERS[fmt](engine, ready, out, progress)  # noqa: E731
    target = Path(target)
    handle, temp_name = tempfile.mkstemp(dir=target.parent or ".", prefix=".report-", suffix="." + fmt)
    try:
        with open(handle, "wb", buffering=1 << 20) as out:
            written = write(out)
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return written


def csv_chunks(engine: Engine, request: ReportRequest) -> Iterator[bytes]:
    """The CSV as byte chunks, for a streamed HTTP download."""
    return chunks(engine, plan(engine, request))

