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
from ..storage.locks import write_lock
from .sessions import Owner, active_sessions, cdrs_of_many, owners_of, session_objects


def attribute(engine: Engine, session_id: int) -> None:
    """A session started with a partner's token is a roaming session over OCPI: the roaming-sessions report and
    the session page read it like any other (network, operator and provider). Once per session, by its key."""
    attribute_many(engine, [session_id])


def attribute_many(engine: Engine, session_ids: list[int]) -> None:
    with engine.begin() as conn:  # one transaction for the outbox worker's batch (ledger/subscribers.handles_many)
        owners = owners_of(conn, session_ids)
        events = []
        for session_id in session_ids:
            owner = owners.get(session_id)
            if owner is None:
                continue
            p, token = owner.partner, owner.token
            event = RoamingAttributed(network="OCPI", operator_id=f"{p.our_country_code}*{p.our_party_id}",
                                      provider_id=f"{token['country_code']}*{token['party_id']}")
            events.append((session_id, [NewEvent.of(event, datetime.now(timezone.utc), EventSource.ROAMING,
                                                    f"ocpi:attributed:{session_id}")]))
        Ledger(engine).append_many(conn, events, reactions=False)


def push_session(engine: Engine, session_id: int) -> None:
    """The session to its partner: the whole object the first time (PUT), then only what changed (PATCH), measured
    against the partner's copy as the queue will leave it."""
    push_sessions(engine, [session_id])


def push_sessions(engine: Engine, session_ids: list[int]) -> None:
    with engine.begin() as conn:  # one transaction for the outbox worker's batch
        owners = _locked_owners(conn, session_ids)
        pushes = _session_pushes(conn, owners)
        queued = queue.enqueue_many(conn, [push for sid in owners for push in pushes[sid]])
    if queued:
        queue.wake(engine)


def _locked_owners(conn, session_ids: list[int]) -> dict[int, Owner]:
    """The sessions that belong to a partner, locked: one writer of a session's pushes at a time (the reactions and
    the energy round), so each PATCH is measured against the copy the one before it leaves (PostgreSQL locks the
    rows, in id order as every batch does; SQLite takes its write lock before the copies are read)."""
    owners = owners_of(conn, session_ids)
    if owners:
        write_lock(conn)
        conn.execute(select(sessions.c.id).where(sessions.c.id.in_(sorted(owners))).order_by(sessions.c.id)
                     .with_for_update()).all()
    return {sid: owners[sid] for sid in session_ids if sid in owners}


def _session_pushes(conn, owners: dict[int, Owner]) -> dict[int, list[queue.Push]]:
    """Per session, the push (if any) that brings its partner's copy to the session as it is now."""
    out: dict[int, list[queue.Push]] = {sid: [] for sid in owners}
    with_endpoint = {sid: owner for sid, owner in owners.items() if owner.partner.endpoint("sessions")}
    objects = session_objects(conn, with_endpoint)
    by_partner: dict[int, list[int]] = {}
    for sid, owner in with_endpoint.items():
        by_partner.setdefault(owner.partner.id, []).append(sid)
    for partner_id, sids in by_partner.items():
        copies = queue.partner_copies(conn, partner_id, "sessions", [str(sid) for sid in sids])
        for sid in sids:
            session = objects.get(sid)
            if session is None:
                continue
            p = owners[sid].partner
            text = dumps(session)
            session = ocpi_json.loads(text)  # as the partner reads it, to compare with its copy
            push = difference(copies[str(sid)], session)
            if push is None:
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()[:32]
            out[sid].append(queue.Push(p.id, "sessions", str(sid), push[0],
                                       f"/{p.our_country_code}/{p.our_party_id}/{sid}", push[1],
                                       key=f"session:{sid}:{p.id}:{digest}", group=f"session:{sid}",
                                       to_party=owners[sid].party))
    return out


def push_cdrs(engine: Engine, session_id: int) -> None:
    """After a pricing: the session with its cost, then every CDR not sent yet (a credit before its new CDR)."""
    push_cdrs_many(engine, [session_id])


def push_cdrs_many(engine: Engine, session_ids: list[int]) -> None:
    with engine.begin() as conn:  # one transaction for the outbox worker's batch
        owners = _locked_owners(conn, session_ids)
        pushes = _session_pushes(conn, owners)
        cdrs = cdrs_of_many(conn, {sid: owner for sid, owner in owners.items() if owner.partner.endpoint("cdrs")})
        for sid, found in cdrs.items():
            owner = owners[sid]
            pushes[sid] += [queue.Push(owner.partner.id, "cdrs", cdr["id"], "POST", "", cdr,
                                       key=f"cdr:{cdr['id']}:{owner.partner.id}", group=f"session:{sid}",
                                       to_party=owner.party) for cdr in found]
        # per session its pushes in order: the session with its cost, then its CDRs
        queued = queue.enqueue_many(conn, [push for sid in owners for push in pushes[sid]])
    if queued:
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
