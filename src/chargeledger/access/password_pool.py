"""Password checks for web logins and chargers, in small worker processes of their own at the lowest CPU priority.

Argon2 takes a core and 19 MiB for tens of milliseconds on purpose. In the server's own threads it still slowed the
chargers' gateway during a burst of logins (shared cache, the interpreter lock around each check, and a scheduler
that would not always preempt it): heartbeat p99 ~1.9x idle. A process of its own at SCHED_IDLE gives way to any
other runnable task the moment one wakes, and shares nothing with the gateway's threads but the machine.

The pool runs at most `workers` checks at once, each in a worker (password_worker.py: it imports argon2 and
nothing else of the application), started at serve start or by the first check. At most `waiting` more checks
wait their turn, asynchronously and holding no thread; beyond that a check is refused at once
(`PasswordChecksBusy`: the login answers 503, the station's handshake too) instead of piling up. A worker that
dies (killed, out of memory) is replaced by the next check, which is asked again of the new one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import password_worker

# What the workers are: the lowest class there is (run only when nothing else wants the core), and nice 19 where
# that class does not exist. A server started at a real-time priority (systemd CPUSchedulingPolicy, `chrt`) would
# otherwise hand its policy to the child, and nice means nothing to a real-time process.
NICENESS = 19
_IDLE = (os.SCHED_IDLE, os.sched_param(0)) if hasattr(os, "SCHED_IDLE") else None


class PasswordChecksBusy(Exception):
    """More password checks are waiting than the pool takes: refuse this one now (503), the machine is busy."""


class WorkerGone(Exception):
    """The worker process ended (or was killed) before it answered."""


class PasswordPool:
    def __init__(self, workers: int, waiting: int, name: str = "password-check"):
        self.workers, self.waiting = max(1, workers), max(0, waiting)
        # Each of these threads hands one check at a time to a worker and sleeps in a read until it answers.
        self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._running: list[WorkerProcess] = []  # every live worker, busy or free
        self._free: list[WorkerProcess] = []
        self._in_line = 0  # checks asked and not yet answered, running or waiting
        self._closed = False
        self._finalizer = weakref.finalize(self, _stop_all, self._running)  # a pool dropped unclosed (tests)

    def start(self) -> None:
        """Starts a worker now (at serve start), so the first check does not wait for one to start."""
        worker = self._take()
        self._give_back(worker)

    async def matches(self, stored_hash: str | None, password: str | None) -> bool:
        """passwords.matches, in a worker: an unknown account (no hash) costs the same check and is False."""
        return await self._ask(["matches", stored_hash, password])

    async def imported_modules(self) -> list[str]:
        """What a worker has imported (it should be argon2 and `passwords`, not the application)."""
        return await self._ask(["modules"])

    def pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._running]

    async def _ask(self, request: list):
        with self._lock:
            if self._in_line >= self.workers + self.waiting:
                raise PasswordChecksBusy(f"{self._in_line} password checks are under way; try again shortly")
            self._in_line += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, self._ask_a_worker, request)
        finally:
            with self._lock:
                self._in_line -= 1

    def _ask_a_worker(self, request: list):
        """In one of the executor's threads, so at most `workers` of these run at once."""
        for attempt in range(2):
            worker = self._take()
            try:
                answer = worker.ask(request)
            except WorkerGone:
                self._discard(worker)
                if attempt:  # a fresh worker died too: it cannot start or the request kills it
                    raise
                continue  # killed between or during checks: a new worker answers the same request
            self._give_back(worker)
            return answer

    def _take(self) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise RuntimeError("the password pool is shut down")
            if self._free:
                return self._free.pop()
        worker = WorkerProcess()
        with self._lock:
            self._running.append(worker)
        return worker

    def _give_back(self, worker: WorkerProcess) -> None:
        with self._lock:
            if not self._closed:
                self._free.append(worker)
                return
        self._discard(worker)

    def _discard(self, worker: WorkerProcess) -> None:
        with self._lock:
            if worker in self._running:
                self._running.remove(worker)
        worker.stop()

    def shutdown(self) -> None:
        """Stops the workers (a check under way gets no answer: the server is stopping)."""
        with self._lock:
            self._closed = True
            self._free.clear()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._finalizer()


class WorkerProcess:
    """One `python -m chargeledger.access.password_worker`, spoken to over its stdin and stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", password_worker.__name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=_worker_environment(), preexec_fn=_lowest_priority)

    def ask(self, request: list):
        try:
            password_worker.write_message(self.process.stdin, request)
            answer = password_worker.read_message(self.process.stdout)
        except (OSError, ValueError) as exc:  # a broken pipe, or a pipe closed by `stop`
            raise WorkerGone(str(exc)) from exc
        if answer is None:
            raise WorkerGone(f"password worker {self.process.pid} ended (exit code {self.process.poll()})")
        return answer

    def stop(self) -> None:
        self.process.kill()  # it holds nothing worth finishing: a check nobody waits for
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.process.wait()


def _stop_all(workers: list[WorkerProcess]) -> None:
    for worker in list(workers):
        worker.stop()
    workers.clear()


def _worker_environment() -> dict[str, str]:
    # The worker imports `chargeledger` from where this process did (a source tree in tests, the installed package
    # in production), whatever the current directory or the installed package's path says.
    source = str(Path(password_worker.__file__).resolve().parents[2])
    paths = [source, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != source]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _lowest_priority() -> None:
    # In the child, between fork and exec: the interpreter's start already runs at the low priority.
    if _IDLE is not None:
        try:
            os.sched_setscheduler(0, *_IDLE)
        except OSError:
            pass
    try:
        os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
    except OSError:
        pass
