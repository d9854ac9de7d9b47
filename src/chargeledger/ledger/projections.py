"""Each session's folded events kept between the messages of a long-lived writer (the OCPP group commit), so a
message's refresh applies its new events to the fold instead of reading and folding all of them again.

Kept per session: the fold and the last `seq` in it. The ledger is append-only and one appender at a time holds a
session (`lock_sessions`), so the events after that seq are all that is new. A fold is exact in a transaction that
holds the session's lock once an append found the stored last seq equal to the kept one (`confirmed`); anywhere else
the refresh reads the events after the kept seq, or all of them for a session it does not keep. A writer whose
transaction rolls back must `forget` (what it applied may not be stored).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from ..domain.events import SessionEvent
from ..domain.projection import Fold


@dataclass
class Kept:
    fold: Fold = field(default_factory=Fold)
    seq: int = 0  # the last stored seq the fold holds
    confirmed: Any = None  # the transaction in which the fold is known to hold every stored event


class Projections:
    def __init__(self, capacity: int = 20_000):
        self.capacity = capacity  # sessions kept, least recently written dropped first (they are refolded if needed)
        self._kept: OrderedDict[int, Kept] = OrderedDict()

    def forget(self) -> None:
        self._kept.clear()

    def kept(self, session_id: int) -> Kept | None:
        kept = self._kept.get(session_id)
        if kept is not None:
            self._kept.move_to_end(session_id)
        return kept

    def exact(self, conn: Connection, session_id: int) -> Kept | None:
        """The kept fold if it holds every stored event in this transaction (the session locked, appended to)."""
        kept = self._kept.get(session_id)
        return kept if kept is not None and kept.confirmed is _transaction(conn) else None

    def appended(self, conn: Connection, session_id: int, last_before: int, events: list[SessionEvent]) -> None:
        """`events` were stored after seq `last_before`, under the session's lock: extend the fold if it held
        exactly the events up to there; else leave it for the refresh to catch up from what is stored."""
        kept = self.kept(session_id)
        if kept is None and last_before == 0:
            kept = self._keep(session_id, Kept())
        if kept is None or kept.seq != last_before:
            if kept is not None:
                kept.confirmed = None
            return
        kept.fold.extend(events)
        kept.seq = max((e.seq for e in events), default=kept.seq)
        kept.confirmed = _transaction(conn)

    def caught_up(self, session_id: int, events: list[SessionEvent]) -> Kept:
        """The events stored after the kept seq (all of them for a session not kept), read by the refresh."""
        kept = self.kept(session_id) or self._keep(session_id, Kept())
        kept.fold.extend(events)
        kept.seq = max((e.seq for e in events), default=kept.seq)
        return kept

    def _keep(self, session_id: int, kept: Kept) -> Kept:
        self._kept[session_id] = kept
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return kept


def _transaction(conn: Connection) -> Any:
    return conn.get_transaction()
