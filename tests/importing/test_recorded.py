"""The import's own summary of a recorded session equals what the ledger's projection computes for it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from chargeledger.domain.events import EventKind, EventSource, SessionEvent
from chargeledger.domain.projection import project
from chargeledger.importing.recorded import recorded_alone, recorded_summary
from chargeledger.ledger.store import NewEvent, stored_payload
from chargeledger.ledger.summary import summarise

T0 = datetime(2019, 1, 1, tzinfo=timezone.utc)


@st.composite
def recorded_payloads(draw):
    start = T0 + timedelta(seconds=draw(st.integers(0, 10**8)), microseconds=draw(st.sampled_from([0, 250_000])))
    stop = start + timedelta(seconds=draw(st.sampled_from([0, 1, 59, 3600, 86_400 * 40])) +
                             draw(st.integers(0, 10**5)) * draw(st.sampled_from([0, 1])))
    energy = draw(st.one_of(st.integers(-5, 10**6), st.floats(-1, 10**6, allow_nan=False), st.just(0)))
    payload = {"started_at": start.isoformat(), "stopped_at": stop.isoformat(), "energy_wh": energy,
               "source_row": {"file": "f.csv", "line": 2, "session_id": "1", "digest": "ab"}}
    if draw(st.booleans()):
        payload["unplugged_at"] = payload["stopped_at"]
    for key in ("id_token", "token_type", "driver_id", "start_source_raw"):
        if draw(st.booleans()):
            payload[key] = draw(st.sampled_from(["Remote", "card", "App", "", "x1"]))
    if draw(st.booleans()):
        payload["implausible"] = draw(st.lists(st.text(max_size=20), min_size=1, max_size=3))
    roaming = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "network": st.sampled_from(["OCPI", "Hubject", "Girève"]),
        "operator_id": st.one_of(st.none(), st.just("NL*ABC")), "provider_id": st.one_of(st.none(), st.just("DE*EMP")),
        "roaming_cdr_id": st.none(), "partner_transaction_id": st.none()})))
    return start, payload, roaming


@settings(max_examples=300, deadline=None)
@given(recorded_payloads())
def test_recorded_summary_is_the_projection(case):
    start, payload, roaming = case
    event = NewEvent(EventKind.SESSION_RECORDED, start, EventSource.IMPORT, payload, "k:recorded")
    stored = stored_payload(event)
    events = [SessionEvent(event.kind, start, event.source, stored, start, 1)]
    stored_roaming = None
    if roaming is not None:  # the import's roaming attribution, at the start
        attributed = NewEvent(EventKind.ROAMING_ATTRIBUTED, start, EventSource.IMPORT, roaming, "k:roaming")
        stored_roaming = stored_payload(attributed)
        events.append(SessionEvent(attributed.kind, start, attributed.source, stored_roaming, start, 2))
    stopped_at = recorded_alone([e.kind for e in events], stored, start, False)
    assert stopped_at is not None
    assert recorded_summary(stored, start, stopped_at, stored_roaming) == summarise(project(events, []))


@settings(max_examples=100, deadline=None)
@given(recorded_payloads())
def test_the_import_tuples_are_the_rows_the_ledger_writes(case):
    """What the bulk writer sends the driver for an imported session (both databases' forms) equals the rows of
    the projected session; if they differ, `write_batch` sends every batch the slow way."""
    from chargeledger.importing.bulk import SessionRecord, _agrees
    from chargeledger.ledger.store import SessionRef

    start, payload, roaming = case
    events = [NewEvent(EventKind.SESSION_RECORDED, start, EventSource.IMPORT, payload, "k:recorded")]
    if roaming is not None:
        events.append(NewEvent(EventKind.ROAMING_ATTRIBUTED, start, EventSource.IMPORT, roaming, "k:roaming"))
    stored = stored_payload(events[0])
    stopped_at = recorded_alone([e.kind for e in events], stored, start, False)
    record = SessionRecord(SessionRef("k", "ACME", "ACME-SITE", "CP-1", "NL*ACM*E1", 1), events)
    assert _agrees(record, stopped_at, None, T0 + timedelta(days=5000))


def test_other_shapes_take_the_general_way():
    start = T0
    done = {"started_at": start.isoformat(), "stopped_at": (start + timedelta(hours=1)).isoformat(), "energy_wh": 5}
    assert recorded_alone([EventKind.SESSION_RECORDED], done, start, False) is not None
    assert recorded_alone([EventKind.SESSION_RECORDED, EventKind.FORCE_CLOSED], done, start, False) is None
    assert recorded_alone([EventKind.SESSION_RECORDED, EventKind.ROAMING_ATTRIBUTED], done, start, False) is not None
    assert recorded_alone([EventKind.ROAMING_ATTRIBUTED, EventKind.SESSION_RECORDED], done, start, False) is None
    assert recorded_alone([EventKind.SESSION_RECORDED], done, start, True) is None  # meter samples
    assert recorded_alone([EventKind.SESSION_RECORDED], {**done, "stopped_at": None}, start, False) is None
    assert recorded_alone([EventKind.SESSION_RECORDED], {**done, "meter_stop_wh": 9}, start, False) is None
    before = {**done, "stopped_at": (start - timedelta(minutes=1)).isoformat()}
    assert recorded_alone([EventKind.SESSION_RECORDED], before, start, False) is None


def test_a_writer_that_gets_there_first_sends_the_batch_through_the_ledger(postgres_engine):
    """Another import storing one of the batch's sessions between the batch's check and its COPY: the driver's
    unique violation (not SQLAlchemy's) makes the batch fall back to the ledger, which skips that session."""
    from sqlalchemy import event, select

    from chargeledger.importing.bulk import SessionRecord, record_many
    from chargeledger.ledger.store import Ledger, SessionRef
    from chargeledger.storage.tables import sessions
    from tests.builders import add_network

    add_network(postgres_engine)

    def record(n: int) -> SessionRecord:
        start = T0 + timedelta(hours=n)
        payload = {"started_at": start.isoformat(), "stopped_at": (start + timedelta(hours=1)).isoformat(),
                   "energy_wh": 1000 * n}
        return SessionRecord(SessionRef(f"import:race:{n}", "ACME", "ACME-SITE", "CP-1"),
                             [NewEvent(EventKind.SESSION_RECORDED, start, EventSource.IMPORT, payload,
                                       f"import:race:{n}:recorded")])

    batch = [record(n) for n in range(1, 4)]
    raced = []

    def other_writer(conn, cursor, statement, *args):
        if "nextval" in statement and not raced:  # after the batch checked which keys exist
            raced.append(Ledger(postgres_engine).record(batch[1].ref, list(batch[1].events)))

    event.listen(postgres_engine, "before_cursor_execute", other_writer)
    try:
        result = record_many(postgres_engine, batch, notify=False)
    finally:
        event.remove(postgres_engine, "before_cursor_execute", other_writer)
    assert raced and sorted(result.added) == ["import:race:1", "import:race:3"]
    assert result.skipped == ["import:race:2"]
    with postgres_engine.connect() as conn:
        keys = conn.execute(select(sessions.c.external_key).order_by(sessions.c.external_key)).scalars().all()
    assert keys == ["import:race:1", "import:race:2", "import:race:3"]
