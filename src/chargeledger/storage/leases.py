"""Work done by one process at a time across any number of processes: PostgreSQL session advisory locks.

A lease is held by a database session, not by a transaction, so no transaction stays open while the work runs
(an open one would hold the outbox's horizon back), and it ends with its holder: a process killed with SIGKILL
loses its connection and the server frees the lease at once, so another worker takes the work over where the
durable state (a checkpoint, a row's state) says it stopped. SQLite: one process owns the live file
(docs/storage.md), so a lease there is always granted.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

# Lease families (the first key of the two-key advisory lock); the second key picks one within the family.
OUTBOX = 0x0C4A
OCPI_PUSHES = 0x0C4B
BUS_RELAY = 0x0C4C
REPORT_JOBS = 0x0C4D  # one per job (key: a hash of its id): who runs it


@contextmanager
def lease(engine: Engine, family: int, key: int = 0, wait: bool = True) -> Iterator[bool]:
    """Hold lease (family, key) for the block; yields whether it is ours. `wait=False` does not queue behind the
    holder: the block runs with False and should leave the work to it."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with held(engine, family, key, wait) as conn:
        yield conn is not None


@contextmanager
def held(engine: Engine, family: int, key: int = 0, wait: bool = True) -> Iterator[Connection | None]:
    """`lease`, yielding the connection that holds it (None when it is not ours) for the work to run its statements
    on: a loop of short steps then checks out (and pings) no connection per step. The work ends every transaction
    it begins (commit or rollback), so none stays open while the lease is held. SQLite: a plain connection."""
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            yield conn
        return
    with engine.connect() as conn:
        args = {"family": family, "key": key}
        if wait:
            conn.execute(text("SELECT pg_advisory_lock(:family, :key)"), args)
            ours = True
        else:
            ours = bool(conn.execute(text("SELECT pg_try_advisory_lock(:family, :key)"), args).scalar())
        conn.commit()  # no transaction stays open while the work runs
        if not ours:
            yield None
            return
        try:
            yield conn
        finally:
            if not conn.invalidated:  # else the link is gone, and the lease with it
                conn.rollback()  # whatever the work left open (it failed halfway)
                conn.execute(text("SELECT pg_advisory_unlock(:family, :key)"), args)
                conn.commit()
