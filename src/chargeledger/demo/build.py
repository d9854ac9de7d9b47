"""Loading the demo operator: network, users and a few thousand historical sessions, in well under a minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Callable

from sqlalchemy import Engine, func, select

from ..importing.bulk import record_many
from ..storage.tables import organisations, sessions
from .generator import generate_sessions
from .network import ORGANISATIONS, build_network

DEFAULT_SESSIONS = 3000
BATCH = 500


@dataclass
class DemoSummary:
    sessions: int
    passwords: dict[str, str] = field(default_factory=dict)


def is_loaded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(organisations)
                            .where(organisations.c.id.in_([o.id for o in ORGANISATIONS]))).scalar() > 0


def has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(organisations)).scalar()
                + conn.execute(select(func.count()).select_from(sessions.select().limit(1).subquery())).scalar()) > 0


def build_demo(engine: Engine, sessions: int = DEFAULT_SESSIONS, seed: int = 7, end: datetime | None = None,
               sampled: int = 300, progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Register the demo network and record `sessions` generated sessions through the bulk ledger writer.

    Ledger reactions are not run per session (they would freeze today's tariff onto a year of history).
    """
    network = build_network(engine, seed)
    stream = generate_sessions(network, sessions, seed, end, sampled=min(sampled, sessions))
    done = 0
    while batch := list(islice(stream, BATCH)):
        done += len(record_many(engine, batch, notify=False).added)
        if progress:
            progress(done, sessions)
    return DemoSummary(done, network.passwords)
