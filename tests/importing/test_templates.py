"""Stamped copies of a session template are rows the ledger itself would write for the moved session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from chargeledger.demo.generator import generate_sessions
from chargeledger.demo.network import build_network
from chargeledger.importing.bulk import record_many
from chargeledger.importing.raw_writer import RawWriter, next_session_id
from chargeledger.importing.templates import Shiftable, stamp, template_of
from chargeledger.ledger import Ledger
from chargeledger.storage.tables import meter_samples, session_events, sessions

END = datetime(2024, 6, 1, tzinfo=timezone.utc)
DELTA = timedelta(days=-35, seconds=17)


def test_shiftable_moves_every_time_and_keeps_its_format():
    text = '{"a": "2024-01-01T10:00:00Z", "b": ["2024-01-02T00:00:00.500000+00:00"], "c": "no 2024 time"}'
    assert Shiftable(text).at(timedelta(hours=1, seconds=1)) == (
        '{"a": "2024-01-01T11:00:01Z", "b": ["2024-01-02T01:00:01.500000+00:00"], "c": "no 2024 time"}')


def test_stamped_copies_equal_what_the_ledger_projects(engine):
    network = build_network(engine, seed=4)
    records = list(generate_sessions(network, 60, seed=4, end=END, sampled=6))
    record_many(engine, records, notify=False)
    writer = RawWriter(engine)
    first = next_session_id(engine)
    for n, record in enumerate(records):
        row, events, samples = stamp(template_of(record), f"copy:{n}", DELTA)
        writer.add(first + n, row, events, samples)
    writer.finish()

    ledger = Ledger(engine)
    with engine.connect() as conn:
        copies = conn.execute(select(sessions).where(sessions.c.id >= first).order_by(sessions.c.id)).all()
        originals = conn.execute(select(sessions).where(sessions.c.id < first).order_by(sessions.c.id)).all()
        # the stored time text is the one SQLAlchemy binds, so range filters and sorts see the copies
        found = conn.execute(select(func.count()).select_from(sessions)
                             .where(sessions.c.started_at == copies[7].started_at)).scalar()
        counts = [conn.execute(select(func.count()).select_from(t).where(t.c.session_id >= first)).scalar()
                  for t in (session_events, meter_samples)]
        originals_counts = [conn.execute(select(func.count()).select_from(t).where(t.c.session_id < first))
                            .scalar() for t in (session_events, meter_samples)]
    assert len(copies) == 60 and found >= 1 and counts == originals_counts and counts[1] > 0
    for original, copy in zip(originals, copies):
        assert copy.started_at == original.started_at + DELTA
        ledger.refresh(copy.id)
        with engine.connect() as conn:
            assert tuple(conn.execute(select(sessions).where(sessions.c.id == copy.id)).one()) == tuple(copy)
    assert [e.kind for e in ledger.events(copies[0].id)] == [e.kind for e in ledger.events(originals[0].id)]

    # ids continue after the copies on both backends (PostgreSQL's sequence was moved)
    assert record_many(engine, list(generate_sessions(network, 1, seed=9, end=END, sampled=0)),
                       notify=False).added.popitem()[1] == first + 60
