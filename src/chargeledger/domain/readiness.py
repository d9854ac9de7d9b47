"""When a charger's session may be settled: once its transaction has ended and the vehicle has left.

Chargers report these facts in any order: a 1.6 charger often sends StatusNotification Available before its
StopTransaction, and a 2.0.1 offline queue may deliver TransactionEvent Ended before Started. Settling on the
first "vehicle left" priced what had arrived so far (issue 12: 9.8 % to 78.6 % too little); settling waits for
both facts instead. A session whose vehicle never reports leaving is settled by the housekeeping sweep after the
configured timeout; a fact that arrives after settlement re-prices the session (settlement/late_facts.py).
"""

from __future__ import annotations

from typing import Iterable

from .events import EventKind

_ENDED = {EventKind.TRANSACTION_STOPPED.value, EventKind.FAILED.value, EventKind.FORCE_CLOSED.value}


def ready_to_settle(kinds: Iterable[str]) -> bool:
    """Whether a session with events of these kinds has every fact settlement needs, and is not settled yet."""
    kinds = set(kinds)
    if EventKind.SETTLED.value in kinds or EventKind.UNPLUGGED.value not in kinds:
        return False
    started = EventKind.TRANSACTION_STARTED.value in kinds
    ended = bool(kinds & _ENDED)
    # plugged in and gone without a transaction: nothing more will come
    return started == ended
