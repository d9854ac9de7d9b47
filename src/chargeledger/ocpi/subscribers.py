"""Outbox reactions (ledger/outbox.py) that queue a partner's session and CDR pushes from committed ledger events.

The ledger event is the durable fact; the reaction turns it into rows of the push queue, keyed so that a replay of
the event (a kill between the reaction and the checkpoint) queues nothing twice: a session push by its content, a
CDR by its id. A session goes as a PUT of the whole object first, then as PATCHes of what changed; a partner that
receives one again (a lost answer) keeps the same state.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from ..domain.events import EventKind, EventSource
from ..domain.typed_events import RoamingAttributed
from ..ledger.store import Ledger, NewEvent
from ..ledger.subscribers import handles_many, subscribe
from . import queue
from ..pricing import ocpi_json
from ..storage.tables import sessions
from .numbers import dumps
from .patches import difference
from .sessions import active_sessions, cdrs_of, owner_of, session_object


def attribute(engine: Engine, session_id: int) -> None:
    """A session started with a partner's token is a roaming session over OCPI: the roaming-sessions report and
    the session page read it like any other (network, operator and provider). Once per session, by its key."""
    attribute_many(engine, [session_id])


def attribute_many(engine: Engine, session_ids: list[int]) -> None:
    with engine.begin() as conn:  # one transaction for the outbox worker's batch (ledger/subscribers.handles_many)
        for session_id in session_ids:
            owner = owner_of(conn, session_id)
            if owner is None:
                continue
            p, token = owner.partner, owner.token
            event = RoamingAttributed(network="OCPI", operator_id=f"{p.our_country_code}*{p.our_party_id}",
                                      provider_id=f"{token['country_code']}*{token['party_id']}")
            Ledger(engine).append(session_id, [NewEvent.of(event, datetime.now(timezone.utc), EventSource.ROAMING,
                                                           f"ocpi:attributed:{session_id}")], conn, reactions=False)


def push_session(engine: Engine, session_id: int) -> None:
    """The session to its partner: the whole object the first time (PUT), then only what changed (PATCH), measured
    against the partner's copy as the queue will leave it."""
    push_sessions(engine, [session_id])


def push_sessions(engine: Engine, session_ids: list[int]) -> None:
    with engine.begin() as conn:  # one transaction for the outbox worker's batch
        queued = [_queue_session(conn, session_id) for session_id in session_ids]
    if any(queued):
        queue.wake(engine)


def _queue_session(conn, session_id: int) -> bool:
    # one writer of a session's pushes at a time (the reactions and the energy round), so each PATCH is
    # measured against the copy the one before it leaves (PostgreSQL; SQLite has a single writer anyway)
    conn.execute(select(sessions.c.id).where(sessions.c.id == session_id).with_for_update()).first()
    owner = owner_of(conn, session_id)
    if owner is None or not owner.partner.endpoint("sessions"):
        return False
    session = session_object(conn, owner, session_id)
    if session is None:
        return False
    p = owner.partner
    session = ocpi_json.loads(dumps(session))  # as the partner reads it, to compare with its copy
    push = difference(queue.partner_copy(conn, p.id, "sessions", str(session_id)), session)
    if push is None:
        return False
    digest = hashlib.sha256(dumps(session).encode()).hexdigest()[:32]
    return queue.enqueue(conn, p.id, "sessions", str(session_id), push[0],
                         f"/{p.our_country_code}/{p.our_party_id}/{session_id}", push[1],
                         key=f"session:{session_id}:{p.id}:{digest}", group=f"session:{session_id}",
                         to_party=owner.party)


def push_cdrs(engine: Engine, session_id: int) -> None:
    """After a pricing: the session with its cost, then every CDR not sent yet (a credit before its new CDR)."""
    push_cdrs_many(engine, [session_id])


def push_cdrs_many(engine: Engine, session_ids: list[int]) -> None:
    queued = []
    with engine.begin() as conn:  # one transaction for the outbox worker's batch
        for session_id in session_ids:
            queued.append(_queue_session(conn, session_id))
            owner = owner_of(conn, session_id)
            if owner is None or not owner.partner.endpoint("cdrs"):
                continue
            queued += [queue.enqueue(conn, owner.partner.id, "cdrs", cdr["id"], "POST", "", cdr,
                                     key=f"cdr:{cdr['id']}:{owner.partner.id}", group=f"session:{session_id}",
                                     to_party=owner.party)
                       for cdr in cdrs_of(conn, owner, session_id)]
    if any(queued):
        queue.wake(engine)


handles_many(attribute, attribute_many)
handles_many(push_session, push_sessions)
handles_many(push_cdrs, push_cdrs_many)
subscribe(EventKind.TRANSACTION_STARTED, attribute)
def push_energy(engine: Engine) -> int:
    """Sessions under way: each one's energy so far, pushed when it changed since its last push (the content key
    queues nothing when it did not). The pusher calls this every ENERGY_INTERVAL."""
    with engine.connect() as conn:
        active = active_sessions(conn)
    for session_id in active:
        push_session(engine, session_id)
    return len(active)


for kind in (EventKind.TRANSACTION_STARTED, EventKind.CHARGING_STATE_CHANGED, EventKind.TRANSACTION_STOPPED):
    subscribe(kind, push_session)
subscribe(EventKind.PRICED, push_cdrs)
