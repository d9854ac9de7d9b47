"""The outbox: reactions to ledger events (settle, capture, re-price, move a difference) run in a worker that reads
committed session_events in order from a durable checkpoint, never on the thread that answers chargers.

session_events is itself the outbox, so nothing is written twice. The worker remembers the last event it handled
(outbox_checkpoints) and so resumes after a restart where it stopped; reactions are idempotent, so an event handled
again after a kill (between the reaction and the checkpoint) adds nothing.

Holes (PostgreSQL): an event's id is taken before its transaction commits, so a reader could pass id 11 while id 10
is still uncommitted, and never come back. Each event therefore carries its transaction's id (`txid`, a server
default), and the reader takes only events of transactions older than the oldest one still running (the snapshot's
xmin, counting only transactions of this database), in (txid, id) order: every event that can still appear sorts
after the checkpoint. SQLite serialises its
writers, so ids commit in order there and the id alone is the position.

A session's order (PostgreSQL): a transaction's id is taken at its first write, which may come before it waits for
the session's lock (a batch that wrote for another session first). Its event would then sort before an event the
session got meanwhile from a younger transaction, and readers would see the session's events out of order. So an
event's txid is its transaction's id or, if larger, the txid of the session's previous event (`txid_after`): still
at least the writer's own id, so the horizon holds it back until the writer commits, and (txid, id) follows `seq`.

A reaction that fails is retried with backoff (outbox_failures), the others go on; after MAX_ATTEMPTS it is parked
as poison: logged, visible in the table and in `chargeledger worker --failures`, and no longer retried.
"""

from __future__ import annotations

import logging
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import Engine, and_, delete, event, func, insert, select, text, tuple_, update
from sqlalchemy.engine import Connection

from ..background import BackgroundLoop
from ..storage import leases
from ..storage.leases import held
from ..storage.tables import outbox_checkpoints, outbox_failures, session_events

log = logging.getLogger(__name__)
CONSUMER = "reactions"  # the worker's checkpoint; one reader runs every subscribed reaction of an event
MAX_ATTEMPTS = 5
BATCH = 500
# Sessions one reaction handles in one transaction: enough that commits stop counting, few enough that the
# transaction's write lock (SQLite has one for the whole database) holds the chargers' writes back briefly.
MANY = 10
Reaction = Callable[[Engine, int], None]


@dataclass(frozen=True)
class Pending:
    id: int
    txid: int
    session_id: int
    kind: str
    reactions: bool = True  # False: history stored without reactions


def reaction_name(reaction: Reaction) -> str:
    return f"{reaction.__module__}.{reaction.__qualname__}"


def backoff(attempts: int) -> timedelta:
    """Seconds to the next try: 1, 4, 16, 64 (capped at five minutes)."""
    return timedelta(seconds=min(4 ** (attempts - 1), 300))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# -- reading the outbox -------------------------------------------------------------------------------------------
def position(conn: Connection, consumer: str = CONSUMER) -> tuple[int, int]:
    """Where a consumer of the outbox stands (the reactions; the bus relay has its own)."""
    row = conn.execute(select(outbox_checkpoints.c.last_txid, outbox_checkpoints.c.last_event_id)
                       .where(outbox_checkpoints.c.consumer == consumer)).first()
    return (row[0], row[1]) if row else (0, 0)


# The oldest transaction that may still add events: the statement snapshot's running transactions (pg_snapshot_xip),
# less those that pg_stat_activity shows in another database (transaction ids are shared by the whole cluster, and a
# long write elsewhere must not hold settlement back), else the snapshot's xmax. A transaction that ended between
# the snapshot and the read of pg_stat_activity is kept (at worst the reader waits a round). backend_xid is the
# 32-bit form of the 64-bit ids, hence the mask.
_HORIZON = """(SELECT LEAST(pg_snapshot_xmax(snap.s)::text::bigint,
        (SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(snap.s) AS x
         WHERE (x::text::bigint & 4294967295) NOT IN (
             SELECT backend_xid::text::bigint FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())))
    FROM (SELECT pg_current_snapshot() AS s) AS snap)"""


def pending(conn: Connection, after: tuple[int, int], limit: int = BATCH) -> list[Pending]:
    """Committed events after the checkpoint, in the order the checkpoint advances."""
    e = session_events.c
    query = select(e.id, e.txid, e.session_id, e.kind, e.reactions)
    if conn.dialect.name == "postgresql":
        horizon = text(_HORIZON)
        query = query.where(e.txid < horizon, tuple_(e.txid, e.id) > tuple_(*after)).order_by(e.txid, e.id)
    else:
        query = query.where(e.id > after[1]).order_by(e.id)
    rows = conn.execute(query.limit(limit))
    return [Pending(r.id, r.txid or 0, r.session_id, r.kind, bool(r.reactions)) for r in rows]


def txid_after(conn: Connection, previous: int | None):
    """The txid for a session's next event (see "A session's order" above): None for the server default."""
    if previous is None or conn.dialect.name != "postgresql":
        return None
    return func.greatest(text("pg_current_xact_id()::text::bigint"), previous)


def has_position(conn: Connection, consumer: str) -> bool:
    """Whether the consumer has stood anywhere yet (a first run starts from a place of its choosing)."""
    return conn.execute(select(outbox_checkpoints.c.consumer)
                        .where(outbox_checkpoints.c.consumer == consumer)).first() is not None


def save_position(conn: Connection, at: tuple[int, int], consumer: str = CONSUMER) -> None:
    """In a transaction of its own, begun on the connection (the lease's, which has none open)."""
    values = {"last_txid": at[0], "last_event_id": at[1], "updated_at": _utcnow()}
    with conn.begin():
        done = conn.execute(update(outbox_checkpoints).where(outbox_checkpoints.c.consumer == consumer)
                            .values(**values)).rowcount
        if not done:
            conn.execute(insert(outbox_checkpoints).values(consumer=consumer, **values))


def backlog(engine: Engine) -> int:
    """How many committed events the worker has not handled yet (for tests, the CLI and the bench)."""
    with engine.connect() as conn:
        return len(pending(conn, position(conn), limit=1_000_000))


def failures(engine: Engine, parked: bool | None = None) -> list[dict]:
    query = select(outbox_failures).order_by(outbox_failures.c.event_id)
    if parked is not None:
        query = query.where(outbox_failures.c.parked == parked)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# -- running reactions --------------------------------------------------------------------------------------------
def _run(engine: Engine, reaction: Reaction, event: Pending) -> bool:
    try:
        reaction(engine, event.session_id)
        return True
    except Exception as exc:  # noqa: BLE001 - the fact is stored; the failure is kept for a retry
        log.warning("reaction %s failed on event %s (session %s, %s)", reaction_name(reaction), event.id,
                    event.session_id, event.kind, exc_info=True)
        _failed(engine, reaction, event, exc)
        return False


def _failed(engine: Engine, reaction: Reaction, event: Pending, exc: BaseException) -> None:
    f = outbox_failures.c
    name = reaction_name(reaction)
    key = and_(f.event_id == event.id, f.consumer == name)
    with engine.begin() as conn:
        attempts = (conn.execute(select(f.attempts).where(key)).scalar() or 0) + 1
        values = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                  "next_attempt_at": _utcnow() + backoff(attempts), "parked": attempts >= MAX_ATTEMPTS}
        if attempts == 1:
            conn.execute(insert(outbox_failures).values(event_id=event.id, consumer=name,
                                                        session_id=event.session_id, kind=event.kind, **values))
        else:
            conn.execute(update(outbox_failures).where(key).values(**values))
    if attempts >= MAX_ATTEMPTS:
        log.error("parked event %s (session %s, %s) for %s after %s attempts: %s", event.id, event.session_id,
                  event.kind, name, attempts, values["last_error"])


def _retry_due(engine: Engine, conn: Connection, reactions_of: Callable[[str], Iterable[Reaction]]) -> int:
    f = outbox_failures.c
    due = conn.execute(select(f.event_id, f.consumer, f.session_id, f.kind)
                       .where(f.parked == False, f.next_attempt_at <= _utcnow())  # noqa: E712
                       .order_by(f.event_id)).all()
    conn.rollback()
    for row in due:
        event = Pending(row.event_id, 0, row.session_id, row.kind)
        for reaction in reactions_of(row.kind):
            if reaction_name(reaction) == row.consumer and _run(engine, reaction, event):
                with engine.begin() as conn:
                    conn.execute(delete(outbox_failures).where(
                        f.event_id == row.event_id, f.consumer == row.consumer))
    return len(due)


_locks: "weakref.WeakKeyDictionary[Engine, threading.Lock]" = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()
_local = threading.local()


def _lock_of(engine: Engine) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(engine, threading.Lock())


def drain(engine: Engine, reactions_of: Callable[[str], Iterable[Reaction]] | None = None) -> int:
    """Handle every committed event after the checkpoint and every retry that is due; returns events handled.

    One drain per engine at a time in a process. A reaction that appends events (settling writes PRICED) does not
    drain again from inside: this loop picks the new events up on its next round.
    """
    if reactions_of is None:
        from .subscribers import reactions_of
    if getattr(_local, "draining", False):
        return 0
    _local.draining = True
    try:
        with _lock_of(engine), _across_processes(engine) as conn:
            return _drain(engine, conn, reactions_of)
    finally:
        _local.draining = False


@contextmanager
def _across_processes(engine: Engine):
    """A second worker process (or a CLI command's drain) waits for the round in progress instead of running the
    same reactions beside it (storage/leases.py); a killed holder frees it at once. Yields the lease's
    connection, on which the drain reads and moves its checkpoint (no checkout and ping per round)."""
    with held(engine, leases.OUTBOX) as conn:
        yield conn


def _drain(engine: Engine, conn: Connection, reactions_of: Callable[[str], Iterable[Reaction]]) -> int:
    handled = 0
    _retry_due(engine, conn, reactions_of)
    while True:
        at = position(conn)
        events = pending(conn, at)
        if not events:
            _note_held_back(engine, conn, at)
        conn.rollback()  # no transaction of the reader stays open while the reactions run
        if not events:
            return handled
        for step in rounds(events, reactions_of):
            for reaction, todo in step.items():
                _run_many(engine, reaction, todo)
        handled += len(events)
        last = events[-1]
        save_position(conn, (last.txid, last.id))


def _note_held_back(engine: Engine, conn: Connection, at: tuple[int, int]) -> None:
    """Whether committed events wait behind the horizon (PostgreSQL: an older transaction is still running). Their
    writer's notice came and went; what lets them through is the older transaction's end, which may store no event
    and so notify nobody. The Worker then wakes at each commit this process makes (`Worker` below) instead of
    waiting for its poll."""
    if conn.dialect.name != "postgresql":
        return
    e = session_events.c
    if conn.execute(select(e.id).where(tuple_(e.txid, e.id) > tuple_(*at)).limit(1)).first() is not None:
        _held_back.add(engine)
    else:
        _held_back.discard(engine)


def rounds(events: list[Pending], reactions_of: Callable[[str], Iterable[Reaction]]
           ) -> list[dict[Reaction, list[Pending]]]:
    """A batch's reactions in the order each session needs them, grouped so that one reaction runs for many
    sessions at once: round i holds every session's i-th reaction (a session's reactions stay in the order of its
    events; sessions do not wait for each other). A reaction that follows itself in a session runs once: it reads
    the session as it is when it runs, so a second run right after would find nothing new. Each step keeps the
    event that set it off (its failure is recorded against that event)."""
    per_session: dict[int, list[tuple[Reaction, Pending]]] = {}
    for event in events:
        if not event.reactions:
            continue
        steps = per_session.setdefault(event.session_id, [])
        for reaction in reactions_of(event.kind):
            if steps and steps[-1][0] is reaction:
                steps[-1] = (reaction, event)
            else:
                steps.append((reaction, event))
    out: list[dict[Reaction, list[Pending]]] = []
    for steps in per_session.values():
        for i, (reaction, event) in enumerate(steps):
            if i == len(out):
                out.append({})
            out[i].setdefault(reaction, []).append(event)
    return out


def _run_many(engine: Engine, reaction: Reaction, todo: list[Pending]) -> None:
    """A reaction for the sessions of `todo`: through its form for many sessions (ledger/subscribers.py
    `handles_many`) in chunks of MANY, else one by one. A chunk that fails is run again one session at a time,
    so the failure is recorded against its own event and the others go through."""
    from .subscribers import many_of

    many = many_of(reaction)
    if many is None or len(todo) == 1:
        for event in todo:
            _run(engine, reaction, event)
        return
    todo = sorted(todo, key=lambda e: e.session_id)  # every batch locks sessions in one order (PostgreSQL)
    for start in range(0, len(todo), MANY):
        chunk = todo[start:start + MANY]
        try:
            many(engine, [e.session_id for e in chunk])
        except Exception:  # noqa: BLE001 - one session's failure must not hold back the others
            log.warning("reaction %s failed for %s sessions at once; running them one by one",
                        reaction_name(reaction), len(chunk), exc_info=True)
            for event in chunk:
                _run(engine, reaction, event)


# -- the worker thread and the writers' notice ----------------------------------------------------------------------
_workers: "weakref.WeakKeyDictionary[Engine, Worker]" = weakref.WeakKeyDictionary()
_elsewhere: "weakref.WeakSet[Engine]" = weakref.WeakSet()


_notices: "weakref.WeakKeyDictionary[Engine, Callable[[], None]]" = weakref.WeakKeyDictionary()
_held_back: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def hand_off(engine: Engine, notice: Callable[[], None] | None = None) -> None:
    """Reactions to this engine's events run in another process (`chargeledger worker`): writers here only commit,
    and call `notice` (thread-safe, cheap: e.g. a message on the bus that wakes the workers) if there is one."""
    _elsewhere.add(engine)
    if notice is not None:
        _notices[engine] = notice


def committed(engine: Engine) -> None:
    """Writers call this after a commit that stored events: wake the engine's worker, or, with no worker running in
    this process (library use, tests, the CLI), run the reactions now in the caller."""
    worker = _workers.get(engine)
    if worker is not None and worker.running:
        worker.wake()
    elif engine not in _elsewhere:
        drain(engine)
    elif engine in _notices:
        _notices[engine]()


class Worker(BackgroundLoop):
    """Drains the outbox in its own thread: on each writer's notice, at each commit of this process while events
    wait behind the horizon (an older transaction held them back), and every `poll_interval` seconds (events
    written by another process, retries that fell due). A NATS subscription can call `wake` the same way."""

    name = "outbox-worker"
    registry = _workers

    def start(self):
        if not self._threads:
            engine = self.engine

            def commit_seen(_conn, worker=self) -> None:
                # SQLAlchemy calls this just before the COMMIT goes out; the round it wakes begins with a few round
                # trips of its own, and if the commit has not landed by its read, the next commit wakes it again.
                # The worker's own commits do not count: they would wake it in a loop while a long transaction runs.
                if engine in _held_back and threading.current_thread() not in worker._threads:
                    worker.wake()

            self._commit_seen = commit_seen
            event.listen(engine, "commit", commit_seen)
        return super().start()

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        listener = getattr(self, "_commit_seen", None)
        if listener is not None and event.contains(self.engine, "commit", listener):
            event.remove(self.engine, "commit", listener)

    def round(self) -> None:
        drain(self.engine)
