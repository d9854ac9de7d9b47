"""The ledger on SQLite and PostgreSQL: append-only, idempotent, projections recomputable."""

from sqlalchemy import func, select

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.storage.tables import meter_samples, session_events, sessions
from tests.builders import add_network, at

REF = SessionRef("CP-1:tx:17", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)


def _events():
    return [
        NewEvent(EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP,
                 {"transaction_id": "17", "meter_start_wh": 1000, "id_token": "AA11"}, "CP-1:msg:1"),
        NewEvent(EventKind.CHARGING_STATE_CHANGED, at(0), EventSource.OCPP, {"state": "charging"}, "CP-1:msg:2"),
        NewEvent(EventKind.TRANSACTION_STOPPED, at(60), EventSource.OCPP,
                 {"meter_stop_wh": 12000, "reason": "Local"}, "CP-1:msg:3"),
    ]


def _samples():
    return [MeterSample(at(m), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 1000.0 + m * 183.33) for m in (15, 30, 45)]


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_record_projects_and_stores_summary(engine):
    add_network(engine)
    session_id, view = Ledger(engine).record(REF, _events(), _samples())
    assert view.energy_wh == 11000
    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one()
    assert row.status == "Stopped" and row.energy_wh == 11000 and row.id_token == "AA11"
    assert row.started_at == at(0) and row.summary["charging_seconds"] == 3600


def test_resent_messages_and_samples_add_nothing(engine):
    add_network(engine)
    ledger = Ledger(engine)
    first, _ = ledger.record(REF, _events(), _samples())
    again, view = ledger.record(REF, _events(), _samples())
    assert first == again
    assert count(engine, sessions) == 1
    assert count(engine, session_events) == 3
    assert count(engine, meter_samples) == 3
    assert view.energy_wh == 11000


def test_events_are_appended_never_changed(engine):
    add_network(engine)
    ledger = Ledger(engine)
    session_id, _ = ledger.record(REF, _events()[:2])
    before = ledger.events(session_id)
    ledger.append(session_id, [_events()[2]])
    after = ledger.events(session_id)
    assert after[:2] == before
    assert [e.seq for e in after] == [1, 2, 3]


def test_projection_is_recomputable_from_events(engine):
    add_network(engine)
    ledger = Ledger(engine)
    session_id, stored = ledger.record(REF, _events(), _samples())
    assert ledger.project(session_id) == stored
