"""Login attempts: a sliding-window throttle per account and per client address, and a small pool for passwords.

Each attempt takes a slot in both windows before its password is checked (so 40 parallel guesses cannot all slip
in before the first fails); a successful login gives its slots back, and so does one refused because too many
checks were waiting (its password was never checked). Password checks (Argon2: memory and CPU on purpose) run at
most `login_workers` at a time in a worker process at the lowest CPU priority (access/password_pool.py), at most
`login_waiting` more wait their turn, so a burst waits in line instead of starving the chargers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import HTTPException

from ..access.password_pool import PasswordChecksBusy, PasswordPool
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
        self.pool = PasswordPool(settings.login_workers, settings.login_waiting)
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

    def give_back(self, attempt: Attempt) -> None:
        """The attempt's slots, after a success or a refusal that never checked the password."""
        with self._lock:
            for key in attempt.keys:
                recent = self._recent.get(key)
                if recent is not None and attempt.at in recent:
                    recent.remove(attempt.at)

    async def matches(self, attempt: Attempt, stored_hash: str | None, password: str) -> bool:
        """The password checked in the bounded pool (waiting holds no thread); 503 with Retry-After when too many
        checks are waiting already."""
        try:
            return await self.pool.matches(stored_hash, password)
        except PasswordChecksBusy:
            self.give_back(attempt)
            raise HTTPException(503, "too many logins at once; try again in a second",
                                headers={"Retry-After": "1"}) from None

    def _forget_old(self, now: float) -> None:
        # Keys of addresses and emails seen once would otherwise pile up for the life of the process.
        if len(self._recent) > 10_000:
            for key in [k for k, v in self._recent.items() if not v or v[-1] <= now - self.window]:
                del self._recent[key]
