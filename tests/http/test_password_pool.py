"""The password pool's threads yield to every other thread: batch work at nice 10, even in a process started at a
real-time priority (where nice alone means nothing and Argon2 kept a core for a whole check against the chargers)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from chargeledger.access.password_pool import NICENESS, PasswordPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread scheduling is Linux's")


def _scheduling() -> tuple[int, int]:
    thread = threading.get_native_id()
    return os.sched_getscheduler(thread), os.getpriority(os.PRIO_PROCESS, thread)


def _pool_thread_scheduling(real_time: bool) -> tuple[int, int] | None:
    """The pool's thread is started by the first check, from (and inheriting the policy of) the calling thread."""
    found: list = []

    def caller() -> None:
        if real_time:
            try:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            except PermissionError:  # not allowed here: nothing to show
                found.append(None)
                return
        pool = PasswordPool(1)
        try:
            found.append(pool.executor.submit(_scheduling).result(10))
        finally:
            pool.shutdown()

    thread = threading.Thread(target=caller)  # its own thread, so the test process keeps its own policy
    thread.start()
    thread.join(20)
    return found[0]


def test_a_check_runs_as_batch_work_at_a_lower_priority():
    assert _pool_thread_scheduling(real_time=False) == (os.SCHED_BATCH, NICENESS)


def test_a_check_leaves_the_real_time_priority_the_process_was_started_with():
    found = _pool_thread_scheduling(real_time=True)
    if found is None:
        pytest.skip("this machine does not allow a real-time priority")
    assert found == (os.SCHED_BATCH, NICENESS)
