"""Ledger.append_many, the outbox worker's way to append a batch's events: the same rows as `append` per session."""

from __future__ import annotations

from sqlalchemy import select

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger import Ledger, NewEvent, SessionRef, outbox
from chargeledger.storage.tables import session_events
from tests.builders import add_network, at


def _event(key: str, i: int = 0) -> NewEvent:
    return NewEvent(EventKind.DRIVER_RATED, at(i), EventSource.OPERATOR, {"stars": 5}, key)


def test_a_batch_continues_each_sessions_sequence_and_skips_known_keys(engine):
    add_network(engine)
    ledger = Ledger(engine)
    with engine.begin() as conn:
        ids = [ledger.open_session(SessionRef(f"CP-1:tx:{n}", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1),
                                   at(0), conn)[0] for n in range(3)]
        ledger.append(ids[0], [_event("a:0"), _event("a:1")], conn)  # a session with events already
    with engine.begin() as conn:
        added = ledger.append_many(conn, [
            (ids[0], [_event("a:1"), _event("a:2")]),  # a:1 is stored: skipped
            (ids[1], [_event("b:0"), _event("b:0")]),  # the same key twice in one batch: once
            (ids[2], []),
        ])
    assert added == 2
    with engine.begin() as conn:  # the batch replayed adds nothing
        assert ledger.append_many(conn, [(ids[0], [_event("a:2")]), (ids[1], [_event("b:0")])]) == 0
    e = session_events.c
    with engine.connect() as conn:
        rows = conn.execute(select(e.session_id, e.seq, e.idempotency_key, e.txid, e.reactions).order_by(e.id)).all()
    assert [(r.session_id, r.seq, r.idempotency_key) for r in rows] == [
        (ids[0], 1, "a:0"), (ids[0], 2, "a:1"), (ids[0], 3, "a:2"), (ids[1], 1, "b:0")]
    assert all(r.reactions for r in rows)
    if engine.dialect.name == "postgresql":  # each session's events in the reader's order (ledger/outbox.py)
        assert rows[2].txid >= rows[1].txid and all(r.txid for r in rows)
        with engine.connect() as conn:
            read = [p.id for p in outbox.pending(conn, (0, 0))]
        assert read == sorted(read)
