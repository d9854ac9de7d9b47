"""Group commit: one writer thread runs the ledger writes of many chargers' messages in one transaction.

Each message's work is queued with a future; the thread drains the queue, runs every queued work on one
connection, commits once, and only then resolves the futures, so no reply leaves before its message is stored.
Rows that need no read-back (meter samples, incoming frames) are collected and inserted at driver speed (raw_rows).
The projections a batch's events changed are refreshed once each, together, before the commit. Projections that
only samples made stale are refreshed after the replies leave, a few per batch, so a long session's recomputation
never holds up other chargers' answers. If any work in a batch fails, the batch is rolled back and each work is run
again in its own transaction, so a bad message fails alone. Plain functions (`call`) run in the same thread, between
batches, in queue order.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ..ledger.outbox import committed
from . import raw_rows

log = logging.getLogger(__name__)
_STOP = object()
BATCH_KEY = "ocpp_batch"  # where a batch's deferred rows hang on the connection (Connection.info)


# checks(conn, [(work index, question), …]) -> {work index: event kinds stored}: deferred questions, answered at once
Checks = Callable[[Connection, list[tuple[int, Any]]], dict[int, set]]


@dataclass
class Batch:
    """Rows written together at the end of the batch, or earlier when a work has to read what is stored.

    Also questions a work may leave to the batch (`defer`): they are answered together, one query for all, at the
    next flush, which comes before any later work's write of events and before the commit; the event kinds an
    answer stored join its work's outcome."""

    conn: Connection
    samples: list[tuple] = field(default_factory=list)  # raw_rows.SAMPLES values
    frames: list[tuple] = field(default_factory=list)  # raw_rows.FRAMES values
    refresh: set[int] = field(default_factory=set)  # projections only samples made stale: after the replies
    refresh_now: set[int] = field(default_factory=set)  # projections events changed: refreshed once, before commit
    refresher: Callable[[Connection, list[int]], None] | None = None
    checks: Checks | None = None
    work: int = 0  # the index of the work running now
    questions: list[tuple[int, Any]] = field(default_factory=list)
    stored: dict[int, set] = field(default_factory=dict)  # work index -> event kinds the answers stored

    def defer(self, question: Any) -> None:
        self.questions.append((self.work, question))

    def flush(self) -> None:
        """Everything deferred so far: the questions, the rows, then the projections (on all the rows)."""
        if self.questions:
            questions, self.questions = self.questions, []
            for work, kinds in self.checks(self.conn, questions).items():
                self.stored.setdefault(work, set()).update(kinds)
        self.flush_rows()
        if self.refresh_now:
            ids, self.refresh_now = sorted(self.refresh_now), set()
            self.refresher(self.conn, ids)

    def flush_rows(self) -> None:
        samples, frames, self.samples, self.frames = self.samples, self.frames, [], []
        raw_rows.write(self.conn, [(raw_rows.SAMPLES, samples), (raw_rows.FRAMES, frames)])


def batch_of(conn: Connection) -> Batch | None:
    return conn.info.get(BATCH_KEY)


@dataclass
class _Job:
    work: Callable[[Connection], tuple[Any, set]] | None  # batchable: work(conn) -> (session_id, new kinds)
    call: Callable[[], Any] | None  # standalone: runs alone, owns its transactions
    future: asyncio.Future
    frame: Any = None  # the incoming frame, stored in the same transaction, tagged with the work's session
    outcome: Any = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, engine: Engine, refresh: Callable[[Connection, list[int]], None],
                 on_rollback: Callable[[], None] = lambda: None, max_batch: int = 500, refresh_per_batch: int = 4,
                 checks: Checks | None = None):
        self.engine = engine
        self._checks = checks  # answers the questions works defer to their batch (Batch.defer)
        self._refresh = refresh  # recompute sessions' projections (after their events, or deferred samples, are stored)
        self._on_rollback = on_rollback  # forget in-memory state that a rolled-back batch may have taught
        self.max_batch = max_batch
        self.refresh_per_batch = refresh_per_batch
        self._stale: dict[int, None] = {}  # sessions whose projection waits for a refresh, oldest first
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # the writer thread's own connection, held between batches
        self.batches = self.jobs = 0  # for the bench and tests: how much grouping happened

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="ocpp-group-commit", daemon=True)
            self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    async def work(self, work: Callable[[Connection], tuple[Any, set]], frame: Any = None) -> Any:
        """Run `work(conn) -> (session_id, new event kinds)` in a group transaction; returns the session ID."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put(_Job(work, None, future, frame))
        return await future

    async def call(self, fn: Callable, *args: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._queue.put(_Job(None, lambda: fn(*args), future))
        return await future

    # -- the writer thread ------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            self._close()

    def _connection(self) -> Connection:
        # Held across batches: a pool checkout pings the server, one more round trip (and GIL hand-over) per batch.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.engine.connect()
        return self._conn

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped all the same; the next batch reconnects
                log.warning("could not close the OCPP writer connection", exc_info=True)

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs = [first]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in jobs
            jobs = [j for j in jobs if j is not _STOP]
            self._run_in_order(jobs)
            self._refresh_stale(len(self._stale) if stop else self.refresh_per_batch)
            if stop:
                return

    def _refresh_stale(self, count: int) -> None:
        ids = list(self._stale)[:count]
        if not ids:
            return
        try:
            with self.engine.begin() as conn:
                self._refresh(conn, ids)
        except Exception:  # noqa: BLE001 - the projection is a cache: the next event or sweep recomputes it
            log.exception("could not refresh the projections of sessions %s", ids)
        for session_id in ids:
            self._stale.pop(session_id, None)

    def _run_in_order(self, jobs: list[_Job]) -> None:
        group: list[_Job] = []
        for job in jobs:
            if job.work is not None:
                group.append(job)
                continue
            self._group(group)
            group = []
            try:
                job.outcome = job.call()
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                job.error = exc
            self._release([job])
        self._group(group)

    def _group(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        self.batches += 1
        self.jobs += len(jobs)
        stale: set[int] = set()
        try:
            stale |= self._transaction(jobs)
        except Exception as exc:  # noqa: BLE001 - one bad work must not fail the others: retry each alone
            self._on_rollback()
            if len(jobs) == 1 and not getattr(exc, "connection_invalidated", False):  # a lost link: retry once
                log.exception("OCPP ledger write failed")
                jobs[0].error = exc
            else:
                for job in jobs:
                    try:
                        stale |= self._transaction([job])
                    except Exception as exc:  # noqa: BLE001 - this work's own failure, answered as InternalError
                        self._on_rollback()
                        log.exception("OCPP ledger write failed")
                        job.error = exc
        quiet = [j for j in jobs if j.error is not None or not j.outcome[1]]
        self._stale.update(dict.fromkeys(stale))
        self._release(quiet)  # replies that stored no new event leave first
        if len(quiet) < len(jobs):
            # Wakes the outbox worker (serve runs one); only without a worker do the reactions run here, and the
            # replies wait for them (library use and tests that read the settlement right after the answer).
            committed(self.engine)
        self._release([j for j in jobs if j not in quiet])

    def _transaction(self, jobs: list[_Job]) -> set[int]:
        """Run the works in one transaction; returns the sessions whose projection they made stale."""
        conn = self._connection()
        batch = Batch(conn, checks=self._checks, refresher=self._refresh)
        try:
            with conn.begin():
                conn.info[BATCH_KEY] = batch
                try:
                    for batch.work, job in enumerate(jobs):
                        job.outcome, job.error = job.work(conn), None
                        if job.frame is not None:
                            batch.frames.append(job.frame.values(job.outcome[0]))
                    batch.flush()
                    for work, kinds in batch.stored.items():
                        session_id, new = jobs[work].outcome
                        jobs[work].outcome = (session_id, set(new) | kinds)
                finally:
                    if not conn.invalidated:  # an invalidated link's info goes with it (and cannot be read)
                        conn.info.pop(BATCH_KEY, None)
        except BaseException:
            self._close()  # the failure may have broken the connection: the next batch checks out a fresh one
            raise
        return batch.refresh

    def _release(self, jobs: list[_Job]) -> None:
        by_loop: dict[Any, list[_Job]] = {}
        for job in jobs:
            by_loop.setdefault(job.future.get_loop(), []).append(job)
        for loop, group in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, group)
            except RuntimeError:  # the loop closed meanwhile: nobody waits for these answers
                pass


def _resolve(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        elif job.work is not None:
            job.future.set_result(job.outcome[0])
        else:
            job.future.set_result(job.outcome)
