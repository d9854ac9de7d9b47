"""Work that runs in threads of its own, in rounds: at once when `wake()` is called (a writer's notice, a bus
message), else every `poll_interval` seconds (work written by another process, retries that fell due).

The outbox worker, the report job runner and the OCPI pusher are each one of these. A failed round is logged and
the next one tries again: a lost database link must not end the thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import ClassVar, MutableMapping

log = logging.getLogger(__name__)


class BackgroundLoop:
    name: ClassVar[str] = "background"
    stop_timeout: ClassVar[float] = 30.0
    # the running loop per engine, so a writer of that engine can wake it; each kind keeps its own
    registry: ClassVar[MutableMapping]

    def __init__(self, engine, poll_interval: float = 1.0, threads: int = 1):
        self.engine = engine
        self.poll_interval = poll_interval
        self.threads = threads
        self.rounds = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def round(self) -> None:
        raise NotImplementedError

    def resources(self) -> contextlib.AbstractContextManager:
        """What one thread holds for all its rounds (an HTTP client, say)."""
        return contextlib.nullcontext()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self):
        if not self._threads:
            self.registry[self.engine] = self
            for n in range(self.threads):
                name = self.name if self.threads == 1 else f"{self.name}-{n}"
                thread = threading.Thread(target=self._loop, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(self.stop_timeout if timeout is None else timeout)
        self._threads = []
        if self.registry.get(self.engine) is self:
            del self.registry[self.engine]

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        with self.resources():
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.round()
                except Exception:  # noqa: BLE001 - a lost database link: try again on the next round
                    log.exception("%s round failed", self.name)
                self.rounds += 1
                self._wake.wait(self.poll_interval)
