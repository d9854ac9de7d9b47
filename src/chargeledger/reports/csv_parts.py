"""A large CSV report written by several processes: the rows are cut into consecutive ranges of the order key,
the first range is written here and each other one by a spawned worker into a temporary part file, and the parts
are appended in order, so the file is byte for byte the one-process file (each row's text depends only on the
row and the report context, which the workers receive). Below PARALLEL_MIN_ROWS a worker's start-up costs more
than it saves. A worker is `python -m chargeledger.reports.csv_parts` reading its task from stdin (multiprocessing's
spawn would re-run the caller's main script, which need not be guarded). On PostgreSQL the workers import this
connection's snapshot, so every part sees the same data, and take our column names; SQLite (WAL) workers read
their own snapshot and find their own columns while we find ours; a part whose columns differ fails the report.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from ..storage.database import make_engine
from .request import ReportError, ReportRequest
from .catalogue import REPORTS
from .run import Progress, _prepared, compiled_batches
from .source import count, in_range, key_at, order_keys, report_query
from .writers.csv_file import CsvWriter

PARALLEL_MIN_ROWS = 50_000  # a spawned worker costs ~1 s of start-up (imports): ~30k rows of one process
_MAX_WORKERS = 4
_SNAPSHOT = re.compile(r"^[0-9A-Fa-f-]+$")


def worker_count() -> int:
    """CHARGELEDGER_REPORT_WORKERS when set, else one per core up to four."""
    configured = os.environ.get("CHARGELEDGER_REPORT_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(os.cpu_count() or 1, _MAX_WORKERS))


def _shareable(engine: Engine) -> bool:
    # other processes can open the same database: a server, or a SQLite file (not an in-memory one)
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return True
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and "memory" not in str(url)


def key_ranges(conn, query, total: int, parts: int) -> list[tuple[tuple | None, tuple | None]]:
    """(after, upto) order-key bounds of `parts` consecutive ranges of about total/parts rows each."""
    keys = order_keys(query)
    cuts = [key_at(conn, keys, total * k // parts - 1) for k in range(1, parts)]
    bounds = [None, *dict.fromkeys(cut for cut in cuts if cut is not None), None]
    return list(zip(bounds, bounds[1:]))


def _write_part(url: str, request: ReportRequest, generated_at: datetime, names: list[str] | None,
                after: tuple | None, upto: tuple | None, path: str, snapshot: str | None) -> tuple[int, list[str]]:
    """In a worker: the rows of one range, without header, into `path`; returns the rows and the column names.
    `names` None: the columns are found here (a SQLite worker, started before ours were), the parent compares."""
    engine = make_engine(url, pool_size=1, max_overflow=0) if url.startswith("postgresql") else make_engine(url)
    try:
        with engine.connect() as conn:
            if snapshot:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            # our snapshot is the parent's, so its names are this data's; SQLite's own snapshot is checked
            columns, context, query = _prepared(conn, request, generated_at, names if snapshot else None)
            if names is not None and [c.name for c in columns] != names:
                raise ReportError("the data changed while the report was written; run it again")
            written = 0
            with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
                writer = CsvWriter(out, columns, header=False)
                for batch in compiled_batches(conn, columns, context, in_range(query, after, upto)):
                    writer.write_lines(batch)
                    written += len(batch)
            return written, [c.name for c in columns]
    finally:
        engine.dispose()


def write_csv(engine: Engine, request: ReportRequest, out: IO[str], folder: Path,
              progress: Progress | None = None, workers: int | None = None) -> int:
    """The report as CSV into `out` (header first); part files, if any, go to `folder`. Returns the rows."""
    workers = worker_count() if workers is None else max(1, workers)
    workers = workers if _shareable(engine) else 1
    with engine.connect() as conn:
        snapshot = None
        if workers > 1 and engine.dialect.name == "postgresql":  # one snapshot for every part
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            if not _SNAPSHOT.match(snapshot):
                raise ReportError(f"unexpected snapshot name {snapshot!r}")
        # sized first (sessions alone, fast) so workers can start importing while the columns are found
        base = report_query(request, REPORTS[request.report].where(request))  # the cuts need only its order
        total = count(conn, order_keys(base)) if progress or workers > 1 else 0
        parallel = workers > 1 and total >= PARALLEL_MIN_ROWS
        started = [_spawn() for _ in range(workers - 1)] if parallel else []
        paths: list[tuple[int, str]] = []
        try:
            generated_at = datetime.now(timezone.utc)
            ranges = key_ranges(conn, base, total, workers) if parallel else [(None, None)]
            for idle in started[len(ranges) - 1:]:  # fewer distinct cuts than workers: these get no task
                _send(idle, None)
            started = started[:len(ranges) - 1]
            paths = [tempfile.mkstemp(dir=folder, prefix=".report-part-", suffix=".csv") for _ in ranges[1:]]
            for handle, _path in paths:
                os.close(handle)
            url = engine.url.render_as_string(hide_password=False)
            if not snapshot:  # SQLite workers find their own columns (checked after) while we find ours
                for worker, (after, upto), (_handle, path) in zip(started, ranges[1:], paths):
                    _send(worker, (url, request, generated_at, None, after, upto, path, snapshot))
            columns, context, query = _prepared(conn, request, generated_at)
            writer = CsvWriter(out, columns)
            if len(ranges) == 1:
                return _write_rows(writer, compiled_batches(conn, columns, context, query), progress, total, 0)
            names = [c.name for c in columns]
            if snapshot:  # ours is their snapshot: our column names are theirs, no query to repeat
                for worker, (after, upto), (_handle, path) in zip(started, ranges[1:], paths):
                    _send(worker, (url, request, generated_at, names, after, upto, path, snapshot))
            first = compiled_batches(conn, columns, context, in_range(query, *ranges[0]))
            written = _write_rows(writer, first, progress, total, 0)
            out.flush()
            for worker, (_handle, path) in zip(started, paths):
                rows, theirs = _finish(worker)
                if theirs != names:
                    raise ReportError("the data changed while the report was written; run it again")
                written += rows
                with open(path, "rb") as rows:  # bytes as the worker wrote them: no decoding again
                    shutil.copyfileobj(rows, out.buffer, 1 << 20)
                if progress:
                    progress(written, total)
        finally:
            for worker in started:
                if worker.poll() is None:  # we failed first: our workers need not finish
                    worker.kill()
                    worker.wait()
            for _handle, path in paths:
                if os.path.exists(path):
                    os.unlink(path)
        return written


def _spawn() -> subprocess.Popen:
    """A worker importing (~1 s) while we prepare; it waits for its task on stdin."""
    return subprocess.Popen([sys.executable, "-m", "chargeledger.reports.csv_parts"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=tempfile.TemporaryFile())


def _send(worker: subprocess.Popen, task: tuple | None) -> None:
    """The worker's task; None: nothing to do, it exits at once (and is reaped)."""
    if task is not None:
        worker.stdin.write(pickle.dumps(task))  # our own process reads it: pickle is safe here
    worker.stdin.close()
    if task is None:
        worker.wait()


def _finish(worker: subprocess.Popen) -> tuple[int, list[str]]:
    answer = worker.stdout.read()
    if worker.wait() != 0:
        raise ReportError(f"a report worker failed: {answer.decode(errors='replace').strip()[-500:]}")
    return pickle.loads(answer)  # our own worker wrote it: pickle is safe here


def _write_rows(writer: CsvWriter, batches, progress: Progress | None, total: int, written: int) -> int:
    for batch in batches:
        writer.write_lines(batch)
        written += len(batch)
        if progress:
            progress(written, total)
    if progress and not written:
        progress(0, total)
    return written


def _worker_main() -> None:
    data = sys.stdin.buffer.read()
    if not data:  # started early, then not needed
        return
    task = pickle.loads(data)
    try:
        written = _write_part(*task)
    except Exception as error:  # the parent shows this text; the traceback stays in the worker's stderr
        print(f"{type(error).__name__}: {error}")
        raise
    sys.stdout.buffer.write(pickle.dumps(written))


if __name__ == "__main__":
    _worker_main()
