"""A simulated charger's state, shared by its protocol side (which answers commands) and its session script (which
acts on them). A command handler only records the wish and wakes the script: the answer goes out first, the
transaction messages after, as on a real charger (and a handler must not wait for its own connection's replies)."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .plan import Clock

log = logging.getLogger(__name__)


class Ending(StrEnum):
    """Why a transaction ends, in protocol-neutral words; each protocol side names it its own way."""

    EV_LEFT = "ev_left"
    REMOTE = "remote"
    SOFT_RESET = "soft_reset"
    HARD_RESET = "hard_reset"
    UNLOCK = "unlock"
    DEAUTHORIZED = "deauthorized"  # the card was refused: the transaction opened at plug-in ends unused


@dataclass
class Transaction:
    id: int | str
    tag: str
    started_at: datetime
    seq: int = 0  # 2.0.1 TransactionEvent seqNo


@dataclass
class Meter:
    register_wh: float
    power_w: float = 0.0
    voltage_v: float = 230.0
    soc: float | None = None
    since: datetime | None = None  # when power_w began to flow into the register (None: nothing flowing)

    def reading(self, now: datetime) -> float:
        """The register as a meter shows it right now, between two periodic readings."""
        if self.since is None or not self.power_w:
            return self.register_wh
        return self.register_wh + self.power_w * max(0.0, (now - self.since).total_seconds()) / 3600

    @property
    def current_a(self) -> float:
        return self.power_w / self.voltage_v if self.voltage_v else 0.0


@dataclass
class Hardware:
    station_id: str
    clock: Clock
    rng: random.Random
    meter: Meter
    transaction: Transaction | None = None
    operative: bool = True
    inoperative_after_transaction: bool = False
    status: str = "Available"  # the connector's status in 1.6 words; 2.0.1 maps it
    ending: Ending | None = None
    end: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    start_wish: tuple[str, int | None] | None = None  # (id tag, 2.0.1 remoteStartId) of a remote start
    reboot: Ending | None = None
    reservations: dict[int, str] = field(default_factory=dict)
    charging_profiles: dict[int, dict] = field(default_factory=dict)
    local_list: dict[str, dict] = field(default_factory=dict)
    local_list_version: int = 0
    _followups: set[asyncio.Task] = field(default_factory=set)

    def take_local_list(self, version: int, update_type: str, entries: list[tuple[str, dict | None]],
                        per_message: int | None = None, capacity: int | None = None) -> str:
        """Apply a SendLocalList as a charger does (either version): a differential update must be newer; an entry
        without its info removes the tag; a message longer than it takes at once, or a list longer than it holds,
        fails and changes nothing. Answers the status word."""
        if update_type == "Differential" and version <= self.local_list_version:
            return "VersionMismatch"
        if per_message is not None and len(entries) > per_message:
            return "Failed"
        held = {} if update_type == "Full" else dict(self.local_list)
        for tag, info in entries:
            if info:
                held[tag] = info
            else:
                held.pop(tag, None)
        if capacity is not None and len(held) > capacity:
            return "Failed"
        self.local_list = held
        self.local_list_version = version
        return "Accepted"

    def ask_stop(self, ending: Ending) -> bool:
        if self.transaction is None:
            return False
        self.ending = self.ending or ending
        self.end.set()
        return True

    def ask_start(self, tag: str, remote_start_id: int | None = None) -> bool:
        busy = self.transaction is not None or self.status not in ("Available", "Reserved")
        if busy or not self.operative or self.start_wish or self.reboot:
            return False
        self.start_wish = (tag, remote_start_id)
        self.wake.set()
        return True

    def ask_reboot(self, ending: Ending) -> None:
        """Even mid-start (the transaction's answer not back yet) the session script ends what it began."""
        self.reboot = ending
        self.ending = self.ending or ending
        self.end.set()
        self.wake.set()

    def set_operative(self, operative: bool) -> str:
        """ChangeAvailability: at once when idle; Scheduled (after the transaction) while one runs."""
        if self.transaction is not None and not operative:
            self.inoperative_after_transaction = True
            return "Scheduled"
        self.operative, self.inoperative_after_transaction = operative, False
        if self.transaction is None:
            self.status = "Available" if operative else "Unavailable"
        return "Accepted"

    def after_answer(self, coroutine) -> None:
        """Send follow-up messages once the answer is out (a handler cannot await its own connection's calls)."""
        async def run():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                coroutine.close()  # cancelled before it began (the charger went away): never sent
                raise
            try:
                await coroutine
            except Exception as exc:  # noqa: BLE001 - a follow-up the server refuses is its business, not a crash
                log.info("%s: follow-up message failed: %s", self.station_id, exc)
        task = asyncio.create_task(run())
        self._followups.add(task)
        task.add_done_callback(self._followups.discard)

    def cancel_followups(self) -> None:
        for task in list(self._followups):
            task.cancel()
