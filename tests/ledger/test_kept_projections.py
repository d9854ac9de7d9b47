"""A ledger that keeps its sessions' folds (the OCPP writer's) stores the same projection as one that reads and folds
all events on every refresh, on SQLite and PostgreSQL: whatever order the facts arrive in, with other writers (the
outbox worker, the API) appending between its own writes, and after a rolled-back transaction it forgot."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.projection import project
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.ledger.projections import Projections
from chargeledger.ledger.summary import summarise
from chargeledger.storage.tables import sessions
from tests.builders import add_network, at
from tests.domain.test_projection_fold import _PAYLOADS

_KINDS = sorted(_PAYLOADS)
_counter = iter(range(10**9))

# one message: (kinds with their minute of the session, and who writes it: the keeping ledger or another writer)
messages = st.lists(st.tuples(
    st.lists(st.tuples(st.sampled_from(_KINDS), st.integers(0, 90)), min_size=1, max_size=3),
    st.sampled_from(["kept", "kept", "other"]), st.data()), min_size=1, max_size=6)


def _session(engine, ledger) -> int:
    with engine.begin() as conn:
        return ledger.open_session(SessionRef(f"ocpp:CP-1:1:tx:{next(_counter)}", "ACME", "ACME-SITE", "CP-1",
                                              "NL*ACM*ECP1*1", 1), at(0), conn)[0]


def _stored(engine, session_id) -> dict:
    with engine.connect() as conn:
        return conn.execute(select(sessions.c.status, sessions.c.summary, sessions.c.energy_wh,
                                   sessions.c.last_event_at).where(sessions.c.id == session_id)).one()._asdict()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=messages)
def test_the_kept_fold_stores_what_a_full_projection_stores(engine, steps):
    if not hasattr(engine, "_network_added"):
        add_network(engine)
        engine._network_added = True
    keeping, other = Ledger(engine, Projections()), Ledger(engine)
    session_id = _session(engine, keeping)
    for n, (events, writer, data) in enumerate(steps):
        new = [NewEvent(kind, at(0) + timedelta(minutes=minute), EventSource.OCPP, dict(data.draw(_PAYLOADS[kind])),
                        f"k:{session_id}:{n}:{i}") for i, (kind, minute) in enumerate(events)]
        if writer == "other":  # the worker or the API between two messages: the keeping writer does not see it
            other.append(session_id, new, reactions=False)
            continue
        with engine.begin() as conn:  # a message: its events appended, then the batch's refresh
            keeping.append(session_id, new, conn, reactions=False)
            kept_view = keeping.refresh(session_id, connection=conn)
        full = project(other.events(session_id), other.samples(session_id))
        assert kept_view == full
        assert _stored(engine, session_id)["summary"] == summarise(full)
    with engine.begin() as conn:  # the deferred refresh of a session only others wrote to since
        assert keeping.refresh(session_id, connection=conn) == other.project(session_id)


def test_a_rolled_back_write_is_forgotten_and_the_next_refresh_reads_what_is_stored(engine):
    add_network(engine)
    projections = Projections()
    keeping = Ledger(engine, projections)
    session_id = _session(engine, keeping)
    started = NewEvent(EventKind.TRANSACTION_STARTED, at(1), EventSource.OCPP,
                       {"transaction_id": "1", "meter_start_wh": 0.0}, "start")
    keeping.append(session_id, [started], reactions=False)
    try:
        with engine.begin() as conn:
            keeping.append(session_id, [NewEvent(EventKind.FAILED, at(2), EventSource.OCPP, {"reason": "x"}, "f")],
                           conn, reactions=False)
            raise RuntimeError("the batch fails after the append")
    except RuntimeError:
        projections.forget()  # as the group commit's rollback does (Recorder.forget)
    stopped = NewEvent(EventKind.TRANSACTION_STOPPED, at(30), EventSource.OCPP,
                       {"meter_stop_wh": 5000.0, "reason": "Local"}, "stop")
    with engine.begin() as conn:
        keeping.append(session_id, [stopped], conn, reactions=False)
        view = keeping.refresh(session_id, connection=conn)
    assert view.failure_reason is None and view.status.value == "Stopped"
    assert view == Ledger(engine).project(session_id)


def test_a_session_folded_once_applies_only_its_new_events(engine):
    """What makes it cheaper: after the first refresh, another writer's event is read and applied alone; the fold
    keeps the events it had (the same objects), not a new reading of all of them."""
    add_network(engine)
    keeping = Ledger(engine, Projections())
    session_id = _session(engine, keeping)
    keeping.append(session_id, [NewEvent(EventKind.TRANSACTION_STARTED, at(1), EventSource.OCPP,
                                         {"transaction_id": "1", "meter_start_wh": 0.0}, "s")], reactions=False)
    keeping.refresh(session_id)
    first = keeping.projections.kept(session_id).fold.events[0]
    Ledger(engine).append(session_id, [NewEvent(EventKind.UNPLUGGED, at(40), EventSource.OCPP, {}, "u")],
                          reactions=False)
    view = keeping.refresh(session_id)
    kept = keeping.projections.kept(session_id)
    assert kept.seq == 2 and kept.fold.events[0] is first and len(kept.fold.events) == 2
    assert view.ended_at == at(40) and view == Ledger(engine).project(session_id)
