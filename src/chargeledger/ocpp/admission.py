"""Who may open a websocket, and how fast a connection may talk: the gateway's limits per client address and per
connection (defaults in ocpp/settings.py, reasons in docs/security.md)."""

from __future__ import annotations

import time
from collections import Counter
from http import HTTPStatus


class Admission:
    """Counts handshakes in progress and open connections per client address."""

    def __init__(self, handshakes_per_address: int, connections_per_address: int):
        self.handshake_limit, self.connection_limit = handshakes_per_address, connections_per_address
        self.handshaking: Counter[str] = Counter()
        self.open: Counter[str] = Counter()

    def refuse(self, address: str) -> tuple[HTTPStatus, str] | None:
        """Why a new handshake from this address is refused now, or None (and it is counted until `done`)."""
        if self.open[address] >= self.connection_limit:
            return HTTPStatus.TOO_MANY_REQUESTS, f"at most {self.connection_limit} connections per address\n"
        if self.handshaking[address] >= self.handshake_limit:
            return HTTPStatus.SERVICE_UNAVAILABLE, f"at most {self.handshake_limit} handshakes at once per address\n"
        self.handshaking[address] += 1
        return None

    def done(self, address: str) -> None:
        _decrement(self.handshaking, address)

    def opened(self, address: str) -> None:
        self.open[address] += 1

    def closed(self, address: str) -> None:
        _decrement(self.open, address)


def _decrement(counter: Counter, key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class MessageRate:
    """A token bucket per connection: `rate` messages a second sustained, `burst` at once."""

    __slots__ = ("rate", "burst", "clock", "tokens", "at")  # one per held connection

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens, self.at = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
