"""Login attempts: a sliding-window throttle per account and per client address, and a small pool for passwords.

Each attempt takes a slot in both windows before its password is checked (so 40 parallel guesses cannot all slip
in before the first fails); a successful login gives its slots back. Password checks (Argon2: memory and CPU on
purpose) run at most `workers` at a time in threads of their own, at a lower CPU priority than the event loop, so
a burst waits in line instead of starving the chargers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import HTTPException

from ..access.password_pool import PasswordPool
from .settings import HttpSettings


@dataclass(frozen=True)
class Attempt:
    keys: tuple[str, ...]
    at: float


class LoginGuard:
    def __init__(self, settings: HttpSettings, clock=time.monotonic) -> None:
        self.limits = {"account": settings.login_failures_per_account, "address": settings.login_failures_per_address}
        self.window = settings.login_window
        self.clock = clock
        self.pool = PasswordPool(settings.login_workers)
        self._recent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, email: str, address: str) -> Attempt:
        """A slot for this attempt, or 429 with Retry-After when the account or the address has used its window."""
        now = self.clock()
        keys = (f"account:{email.strip().lower()}", f"address:{address}")
        with self._lock:
            self._forget_old(now)
            waits = []
            for key, limit in zip(keys, self.limits.values()):
                recent = self._recent.setdefault(key, deque())
                while recent and recent[0] <= now - self.window:
                    recent.popleft()
                if len(recent) >= limit:
                    waits.append(recent[0] + self.window - now)
            if waits:
                retry = max(1, math.ceil(max(waits)))
                raise HTTPException(429, f"too many failed logins; try again in {retry} s",
                                    headers={"Retry-After": str(retry)})
            for key in keys:
                self._recent[key].append(now)
        return Attempt(keys, now)

    def address_spent(self, address: str) -> int | None:
        """Seconds until this address may fail again, or None while it has failures left. Takes no slot."""
        now = self.clock()
        with self._lock:
            recent = self._recent.get(f"address:{address}")
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if not recent or len(recent) < self.limits["address"]:
                return None
            return max(1, math.ceil(recent[0] + self.window - now))

    def succeeded(self, attempt: Attempt) -> None:
        with self._lock:
            for key in attempt.keys:
                recent = self._recent.get(key)
                if recent is not None and attempt.at in recent:
                    recent.remove(attempt.at)

    async def check(self, function, *args):
        """Run a password check in the bounded pool (the waiting is async: no thread is held while in line)."""
        return await self.pool.check(function, *args)

    def _forget_old(self, now: float) -> None:
        # Keys of addresses and emails seen once would otherwise pile up for the life of the process.
        if len(self._recent) > 10_000:
            for key in [k for k, v in self._recent.items() if not v or v[-1] <= now - self.window]:
                del self._recent[key]
