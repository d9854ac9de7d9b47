"""A large CSV report written by several processes, range by range.

The rows are cut into consecutive ranges of start time, several per process. This process writes the header
and the first range into the file; further ranges are handed out one at a time to whichever process is free,
this one included, each into a temporary part file, and the parts are appended in order at the end, so the file
is byte for byte the one-process file (each row's text depends only on the row and the report context, which the
workers receive). Handing out ranges as processes come free, rather than one fixed share each, lets a worker that
started late (its imports take about half a second) or shares a busy core simply write fewer ranges.

Below PARALLEL_MIN_ROWS a worker's start-up costs more than it saves. A worker is `python -m
chargeledger.reports.csv_parts` talking over its stdin and stdout (multiprocessing's spawn would re-run the
caller's main script, which need not be guarded); a thread of ours feeds each one. On PostgreSQL the workers
import this connection's snapshot, so every part sees the same data, and take our column names; SQLite (WAL)
workers read their own snapshot and find their own columns while we find ours; a worker whose columns differ
fails the report.
"""

from __future__ import annotations

import os
import pickle
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from ..settings import current
from ..storage.database import make_engine
from .catalogue import REPORTS
from .request import ReportError, ReportRequest
from .prepared import CompiledLines, Progress, prepared
from .source import extent, in_range, order_keys, report_query, time_cuts
from .writers.csv_file import CsvWriter

PARALLEL_MIN_ROWS = 50_000  # a spawned worker costs ~0.5 s of start-up (imports): ~25k rows of one process
RANGE_ROWS = 10_000         # no smaller range: each one is a query of its own
RANGES_PER_PROCESS = 8      # at most: the last ranges ending unevenly then idle a process only briefly
_MAX_WORKERS = 4
_SNAPSHOT = re.compile(r"^[0-9A-Fa-f-]+$")


def worker_count() -> int:
    """CHARGELEDGER_REPORT_WORKERS when set, else one per core up to four."""
    configured = current().report_workers
    if configured:
        return configured
    return max(1, min(os.cpu_count() or 1, _MAX_WORKERS))


def _shareable(engine: Engine) -> bool:
    # other processes can open the same database: a server, or a SQLite file (not an in-memory one)
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return True
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and "memory" not in str(url)


def range_count(total: int, processes: int) -> int:
    return max(processes, min(processes * RANGES_PER_PROCESS, total // RANGE_ROWS))


def ranges_of(first: datetime | None, last: datetime | None, parts: int
              ) -> list[tuple[datetime | None, datetime | None]]:
    """(after, upto] start bounds of up to `parts` consecutive ranges covering every row."""
    bounds = [None, *time_cuts(first, last, parts), None]
    return list(zip(bounds, bounds[1:]))


def _write_range(lines: CompiledLines, conn, query, after, upto, path: str) -> int:
    written = 0
    with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        for batch in lines.batches(conn, in_range(query, after, upto)):
            out.write("".join(batch))
            written += len(batch)
    return written


class _Worker:
    """A worker process, and the thread of ours that feeds it ranges until none are left."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "chargeledger.reports.csv_parts"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=tempfile.TemporaryFile())
        self.names: list[str] | None = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def send(self, message) -> None:
        pickle.dump(message, self.process.stdin)  # our own process reads it: pickle is safe here
        self.process.stdin.flush()

    def receive(self):
        try:
            kind, content = pickle.load(self.process.stdout)  # our own worker wrote it: pickle is safe here
        except EOFError:
            raise ReportError(f"a report worker failed (exit status {self.process.wait()})") from None
        if kind == "error":
            raise ReportError(f"a report worker failed: {content}")
        return content

    def ready(self) -> list[str]:
        """The worker's column names, once it is connected and prepared."""
        return self.receive()

    def start(self, setup: tuple, ranges: queue.SimpleQueue, written: dict[int, int]) -> None:
        self.thread = threading.Thread(target=self._feed, args=(setup, ranges, written), daemon=True)
        self.thread.start()

    def _feed(self, setup: tuple, ranges: queue.SimpleQueue, written: dict[int, int]) -> None:
        try:
            self.send(setup)
            self.names = self.ready()
            while True:
                try:
                    index, after, upto, path = ranges.get_nowait()
                except queue.Empty:
                    break
                self.send((after, upto, path))
                written[index] = self.receive()
            self.send(None)
        except BaseException as error:  # the report's thread raises it
            self.error = error

    def finish(self) -> None:
        """Wait until it has written its ranges and ended; its failure is raised here."""
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error
        self.process.wait()

    def stop(self) -> None:
        """Reap it; one still running (we failed first) need not finish."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:  # killed with our last message unread
                pass


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
        total, first, last = extent(conn, order_keys(base)) if progress or workers > 1 else (0, None, None)
        started = [_Worker() for _ in range(workers - 1)] if workers > 1 and total >= PARALLEL_MIN_ROWS else []
        paths: list[str] = []
        try:
            generated_at = datetime.now(timezone.utc)
            ranges = ranges_of(first, last, range_count(total, workers)) if started else [(None, None)]
            paths = [_part_file(folder) for _ in ranges[1:]]
            waiting: queue.SimpleQueue = queue.SimpleQueue()
            for index, ((after, upto), path) in enumerate(zip(ranges[1:], paths), start=1):
                waiting.put((index, after, upto, path))
            written: dict[int, int] = {}
            url = engine.url.render_as_string(hide_password=False)
            if not snapshot:  # SQLite workers find their own columns (checked after) while we find ours
                for worker in started:
                    worker.start(_setup(url, request, generated_at, None, None), waiting, written)
            columns, context, query = prepared(conn, request, generated_at)
            names = [c.name for c in columns]
            if snapshot:  # ours is their snapshot: our column names are theirs, no query to repeat
                for worker in started:
                    worker.start(_setup(url, request, generated_at, names, snapshot), waiting, written)
            writer = CsvWriter(out, columns)
            lines = CompiledLines(columns, context)
            ours = 0
            for batch in lines.batches(conn, in_range(query, *ranges[0])):
                writer.write_lines(batch)
                ours += len(batch)
                if progress:
                    progress(ours + _done(written), total)
            written[0] = ours
            while True:  # then take ranges like any worker
                try:
                    index, after, upto, path = waiting.get_nowait()
                except queue.Empty:
                    break
                written[index] = _write_range(lines, conn, query, after, upto, path)
                if progress:
                    progress(_done(written), total)
            for worker in started:
                worker.finish()
                if worker.names != names:
                    raise ReportError("the data changed while the report was written; run it again")
            out.flush()
            for path in paths:  # bytes as they were written: no decoding again
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out.buffer, 1 << 20)
            rows = _done(written)
            if progress:
                progress(rows, total)
            return rows
        finally:
            for worker in started:
                worker.stop()
            for path in paths:
                if os.path.exists(path):
                    os.unlink(path)


def _setup(url: str, request: ReportRequest, generated_at: datetime, names: list[str] | None,
           snapshot: str | None) -> tuple:
    """A worker's first message: where the data is, what to report, and (with a shared snapshot) the columns."""
    return url, request, generated_at, names, snapshot


def _done(written: dict[int, int]) -> int:
    return sum(list(written.values()))  # a copy: the feeding threads add to it meanwhile


def _part_file(folder: Path) -> str:
    handle, path = tempfile.mkstemp(dir=folder, prefix=".report-part-", suffix=".csv")
    os.close(handle)
    return path


def _serve(setup: tuple, tasks: IO[bytes], replies: IO[bytes]) -> None:
    """In a worker: connect and prepare, then write each range asked for into its part file."""
    url, request, generated_at, names, snapshot = setup
    engine = make_engine(url, pool_size=1, max_overflow=0) if url.startswith("postgresql") else make_engine(url)
    try:
        with engine.connect() as conn:
            if snapshot:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            # our snapshot is the parent's, so its names are this data's; SQLite's own snapshot is checked
            columns, context, query = prepared(conn, request, generated_at, names if snapshot else None)
            _reply(replies, "ready", [c.name for c in columns])
            lines = CompiledLines(columns, context)
            while (task := pickle.load(tasks)) is not None:  # our parent wrote it: pickle is safe here
                after, upto, path = task
                _reply(replies, "done", _write_range(lines, conn, query, after, upto, path))
    finally:
        engine.dispose()


def _reply(replies: IO[bytes], kind: str, content) -> None:
    pickle.dump((kind, content), replies)
    replies.flush()


def _worker_main() -> None:
    tasks, replies = sys.stdin.buffer, sys.stdout.buffer
    try:
        setup = pickle.load(tasks)
    except EOFError:  # started, then not needed
        return
    try:
        _serve(setup, tasks, replies)
    except Exception as error:  # the parent shows this text; the traceback stays in the worker's stderr
        _reply(replies, "error", f"{type(error).__name__}: {error}")
        raise


if __name__ == "__main__":
    _worker_main()
