"""Reactions to new ledger events (freeze the tariff at start, price at settlement) without the writer knowing them.

A subscriber runs in the outbox worker (ledger/outbox.py) after the transaction that stored the event committed, so
it sees the event; if it fails the fact stays stored and the reaction is retried, then parked.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from sqlalchemy import Engine

from ..adapters import installed
from ..domain.events import EventKind

Subscriber = Callable[[Engine, int], None]
Many = Callable[[Engine, list[int]], None]
_subscribers: dict[EventKind, list[Subscriber]] = defaultdict(list)
_loaded = False

# Modules that subscribe when present; each registers itself with `subscribe` on import.
_OPTIONAL = ("chargeledger.settlement.subscribers", "chargeledger.ocpi.subscribers")


def subscribe(kind: EventKind, subscriber: Subscriber) -> None:
    if subscriber not in _subscribers[kind]:
        _subscribers[kind].append(subscriber)


def handles_many(subscriber: Subscriber, many: Many) -> None:
    """Give a reaction a form for many sessions at once, which the outbox worker calls with the sessions of one
    batch (ledger/outbox.py): one transaction for all of them instead of a few per session. It must have the same
    effect as calling the reaction for each session, and be idempotent as the reaction is."""
    subscriber.many = many  # type: ignore[attr-defined]


def many_of(subscriber: Subscriber) -> Many | None:
    return getattr(subscriber, "many", None)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    installed(_OPTIONAL)


def reactions_of(kind: str) -> list[Subscriber]:
    _load()
    try:
        return list(_subscribers.get(EventKind(kind), ()))
    except ValueError:  # a kind this version does not know has no reactions here
        return []

