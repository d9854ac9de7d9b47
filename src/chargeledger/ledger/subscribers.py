"""Reactions to new ledger events (freeze the tariff at start, price at settlement) without the writer knowing them.

A subscriber runs after the transaction that stored the event committed, so it sees the event; if it fails the
fact stays stored and the failure is logged: a projection can always be recomputed later.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Callable

from sqlalchemy import Engine

from ..adapters import installed
from ..domain.events import EventKind

log = logging.getLogger(__name__)
Subscriber = Callable[[Engine, int], None]
_subscribers: dict[EventKind, list[Subscriber]] = defaultdict(list)
_loaded = False

# Modules that subscribe when present; each registers itself with `subscribe` on import.
_OPTIONAL = ("chargeledger.settlement.subscribers",)


def subscribe(kind: EventKind, subscriber: Subscriber) -> None:
    if subscriber not in _subscribers[kind]:
        _subscribers[kind].append(subscriber)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    installed(_OPTIONAL)


def dispatch(engine: Engine, session_id: int, kinds: set[EventKind]) -> None:
    _load()
    for kind in kinds:
        for subscriber in list(_subscribers.get(kind, ())):
            try:
                subscriber(engine, session_id)
            except Exception:  # noqa: BLE001 - the fact is stored; a failed reaction must not lose it
                log.exception("subscriber %s failed for session %s on %s", subscriber, session_id, kind)
