"""Who runs report jobs: the worker role's runner threads, woken when a job is queued and polling for the rest.

A job is one independent piece of work, so any worker may take any job: each is claimed with its own lease
(storage/leases.py, family REPORT_JOBS), held for as long as the job runs. A worker killed mid-job loses its
database session and with it the lease, and the job, still `running`, is taken again by the next worker that
looks (its file is written afresh). On SQLite (one process) the leases are always granted, so a process also
keeps the ids its own threads are running.

Wake-ups mirror the outbox's (ledger/outbox.py): the API calls `queued(engine)` after queueing; a runner in the
process is woken; a process whose workers are elsewhere (`hand_off`) sends its notice (the bus); library use without
either (tests, a bare `create_app`) runs the job in a thread of its own, as a background task did.
"""

from __future__ import annotations

import logging
import threading
import zlib
from typing import Callable

from sqlalchemy import Engine

from ..background import BackgroundLoop
from ..storage.leases import REPORT_JOBS, lease
from . import jobs

log = logging.getLogger(__name__)
_runners: dict[Engine, "Runner"] = {}
_notices: dict[Engine, Callable[[], None]] = {}
_elsewhere: set[Engine] = set()
_claimed: set[str] = set()  # job ids a thread of this process is running
_claimed_lock = threading.Lock()


def hand_off(engine: Engine, notice: Callable[[], None] | None = None) -> None:
    """Report jobs of this engine run in worker processes: the API here only queues them and calls `notice`."""
    _elsewhere.add(engine)
    if notice is not None:
        _notices[engine] = notice


def queued(engine: Engine) -> None:
    runner = _runners.get(engine)
    if runner is not None and runner.running:
        runner.wake()
    elif engine in _elsewhere:
        if engine in _notices:
            _notices[engine]()
    else:
        threading.Thread(target=Runner(engine).run_open, name="report-job", daemon=True).start()


def _key(job_id: str) -> int:
    """The job's lease key: a signed 32-bit hash of its id (two jobs sharing one only take turns)."""
    return zlib.crc32(job_id.encode()) - 2**31


class Runner(BackgroundLoop):
    """`threads` jobs at a time in this process; each thread runs open jobs until none is left, then waits for a
    wake-up or `poll_interval` seconds (jobs queued by an API that could not reach the bus, orphaned jobs)."""

    name = "report-jobs"
    registry = _runners

    def __init__(self, engine: Engine, poll_interval: float = 1.0, threads: int = 2):
        super().__init__(engine, poll_interval, threads)

    def round(self) -> None:
        self.run_open()

    def run_open(self) -> int:
        """Run open jobs nobody else is running, oldest first, until a look finds none; how many it ran."""
        ran = 0
        found = True
        while found and not self._stop.is_set():
            found = False
            for job_id in jobs.open_jobs(self.engine):
                if self._stop.is_set() or not _take(job_id):
                    continue
                try:
                    # held while the job runs: another worker's try fails until it ends or this process dies
                    with lease(self.engine, REPORT_JOBS, _key(job_id), wait=False) as ours:
                        found = ours and jobs.run_queued(self.engine, job_id)  # it re-reads: done meanwhile?
                finally:
                    _release(job_id)
                if found:
                    ran += 1
                    log.info("report job %s finished", job_id)
                    break  # look again from the oldest
        return ran


def _take(job_id: str) -> bool:
    """This process's own claim (SQLite grants every lease; threads of one process must not share a job)."""
    with _claimed_lock:
        if job_id in _claimed:
            return False
        _claimed.add(job_id)
        return True


def _release(job_id: str) -> None:
    with _claimed_lock:
        _claimed.discard(job_id)
