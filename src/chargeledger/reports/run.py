"""Running a report: check the ask, plan it (pipeline.py), write it in the asked format to a file, or stream CSV."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine

from .pipeline import Progress, check_access, plan
from .request import ReportError, ReportRequest
from .writers import WRITERS
from .writers.csv_file import chunks


def write_report(engine: Engine, request: ReportRequest, fmt: str, target: Path,
                 progress: Progress | None = None) -> int:
    """Write the report to `target`; on any error no file is left behind. Returns the number of rows."""
    if fmt not in WRITERS:
        raise ReportError(f"unknown format {fmt!r}; choose from {', '.join(WRITERS)}")
    ready = plan(engine, request, progress)
    target = Path(target)
    handle, temp_name = tempfile.mkstemp(dir=target.parent or ".", prefix=".report-", suffix="." + fmt)
    os.close(handle)
    try:
        written = WRITERS[fmt](engine, ready, temp_name, progress)
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return written


def csv_chunks(engine: Engine, request: ReportRequest) -> Iterator[bytes]:
    """The CSV as byte chunks, for a streamed HTTP download."""
    return chunks(engine, plan(engine, request))


__all__ = ["ReportError", "check_access", "csv_chunks", "write_report"]
