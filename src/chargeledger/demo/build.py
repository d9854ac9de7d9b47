"""Loading the demo operator: network, users and a few thousand historical sessions, in well under a minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Callable

from sqlalchemy import Engine, func, select

from ..importing.bulk import record_many
from ..storage.tables import organisations, sessions
from .generator import generate_sessions
from .network import ORGANISATIONS, build_network
from .settle import SettleSummary, settle_history
from .tariffs import add_tariffs

# Settling is ~37 SQL statements a session (~13 ms CPU), so 2,000 keeps `make run`'s load within a minute.
DEFAULT_SESSIONS = 2000
BATCH = 500
DAYS = 365


@dataclass
class DemoSummary:
    sessions: int
    passwords: dict[str, str] = field(default_factory=dict)
    money: SettleSummary = field(default_factory=SettleSummary)


def is_loaded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(organisations)
                            .where(organisations.c.id.in_([o.id for o in ORGANISATIONS]))).scalar() > 0


def has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(organisations)).scalar()
                + conn.execute(select(func.count()).select_from(sessions.select().limit(1).subquery())).scalar()) > 0


def build_demo(engine: Engine, sessions: int = DEFAULT_SESSIONS, seed: int = 7, end: datetime | None = None,
               sampled: int = 300, progress: Callable[[int, int], None] | None = None,
               batch: int = BATCH) -> DemoSummary:
    """Register the demo network and its tariffs, record `sessions` generated sessions through the bulk ledger
    writer, then settle each ended one with the real settlement code at the time it ended.

    The bulk writer runs no ledger reactions: they would freeze today's tariff and stamp today's time onto a
    year of history. settle_history does their work with the history's own times.
    """
    end = (end or datetime.now(timezone.utc)).replace(microsecond=0)
    network = build_network(engine, seed)
    add_tariffs(engine, valid_from=end - timedelta(days=DAYS + 14))  # the generator goes back DAYS plus a week
    stream = generate_sessions(network, sessions, seed, end, days=DAYS, sampled=min(sampled, sessions))
    done, money = 0, SettleSummary()
    while records := list(islice(stream, batch)):
        added = record_many(engine, records, notify=False).added
        stored = [(added[r.ref.external_key], r) for r in records if r.ref.external_key in added]
        part = settle_history(engine, stored)
        money = _sum(money, part)
        done += len(added)
        if progress:
            progress(done, sessions)
    return DemoSummary(done, network.passwords, money)


def _sum(a: SettleSummary, b: SettleSummary) -> SettleSummary:
    return SettleSummary(a.settled + b.settled, a.payments + b.payments, a.failed_payments + b.failed_payments,
                         a.refunds + b.refunds, a.refunded_sessions + b.refunded_sessions)
