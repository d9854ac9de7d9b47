"""Driver-speed batch rows read back through SQLAlchemy exactly as ORM-written ones, duplicates ignored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.ledger import Ledger
from chargeledger.ocpp import raw_rows
from chargeledger.storage.tables import ocpp_messages, sessions
from tests.builders import add_network

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def test_samples_and_frames_round_trip(engine):
    add_network(engine)
    with engine.begin() as conn:
        sid = conn.execute(insert(sessions).values(external_key="k", organisation_id="ACME", status="Pending",
                                                   simulated=False, created_at=T0, started_at=T0)
                           ).inserted_primary_key[0]
    found = [MeterSample(T0 + timedelta(minutes=i), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 100.0 * i)
             for i in range(3)]
    frame = ("CP-1", T0, "in", 2, "MeterValues", "u-1", '["quoted", "payload\\\\"]', sid)
    with engine.begin() as conn:  # the second sample list repeats the first: stored once
        raw_rows.write(conn, [(raw_rows.SAMPLES, raw_rows.sample_values(sid, found + found[:1])),
                              (raw_rows.FRAMES, [frame, (*frame[:5], None, "{}", None)])])
    with engine.begin() as conn:
        raw_rows.write(conn, [(raw_rows.SAMPLES, raw_rows.sample_values(sid, found[1:])), (raw_rows.FRAMES, [])])
    assert Ledger(engine).samples(sid) == found
    with engine.connect() as conn:
        rows = conn.execute(select(ocpp_messages).order_by(ocpp_messages.c.id)).all()
    assert [(r.station_id, r.time, r.direction, r.message_type, r.action, r.unique_id, r.payload, r.session_id)
            for r in rows] == [frame, (*frame[:5], None, "{}", None)]
