"""A small pool for password checks (Argon2: memory and CPU on purpose), shared by web logins and chargers.

At most `workers` checks run at a time, in threads at a lower CPU priority than the event loops, and waiting for
a turn holds no thread: a burst of guesses waits in line instead of exhausting memory or delaying chargers.
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


def _lower_priority() -> None:
    # Linux applies nice to a single thread: the loop serving chargers keeps precedence over Argon2.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: the pool bound still holds
        pass
