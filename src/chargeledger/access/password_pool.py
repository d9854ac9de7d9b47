"""A small pool for password checks (Argon2: memory and CPU on purpose), shared by web logins and chargers.

At most `workers` checks run at a time, in threads at a lower CPU priority than the event loops (SCHED_BATCH at
nice 10 on Linux, even in a process started at a real-time priority), and waiting for a turn holds no thread: a
burst of guesses waits in line instead of exhausting memory or delaying chargers.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor


class PasswordPool:
    def __init__(self, workers: int, name: str = "password-check"):
        self.executor = ThreadPoolExecutor(max(1, workers), thread_name_prefix=name, initializer=_lower_priority)

    async def check(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


# What the checks' threads are: CPU-bound batch work (no wakeup preemption of other threads) at nice 10.
NICENESS = 10


def _lower_priority() -> None:
    # Linux schedules each thread on its own, so this reaches only the pool's threads. A process started at a
    # real-time priority (systemd CPUSchedulingPolicy, `chrt`) hands it to every thread, and nice means nothing
    # to a real-time thread: Argon2 then kept a core for a whole check against the chargers' threads (a 15 ms
    # heartbeat under `chrt -f 10`). SCHED_BATCH leaves the real-time class and lets any thread that wakes run first.
    thread = threading.get_native_id()
    try:
        os.sched_setscheduler(thread, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux: nice alone
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, thread, max(NICENESS, os.getpriority(os.PRIO_PROCESS, thread)))
    except (AttributeError, OSError):  # not Linux, or not allowed: the pool bound still holds
        pass
