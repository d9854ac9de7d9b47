"""The incremental projection (`Fold.extend` with only the new events) is the full projection (`project` of all
of them), whatever the events and whatever order they are stored in: a charger's offline queue delivers old facts
late, clocks are set back, several facts share one instant."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from chargeledger.domain.events import ChargingState, EventKind, EventSource, SessionEvent
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.domain.projection import Fold, project

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)

_PAYLOADS = {
    EventKind.SESSION_CREATED: st.fixed_dictionaries({}, optional={"simulated": st.booleans()}),
    EventKind.AUTHORIZED: st.fixed_dictionaries(
        {"id_token": st.sampled_from(["TAG-1", "TAG-2"])},
        optional={"status": st.sampled_from(["Accepted", "Invalid", "Blocked"]), "contract_id": st.just("NL-ACM-1"),
                  "driver_id": st.just("d-1")}),
    EventKind.START_REQUESTED: st.fixed_dictionaries({}, optional={"start_source_raw": st.just("RemoteStart")}),
    EventKind.TRANSACTION_STARTED: st.fixed_dictionaries(
        {"transaction_id": st.sampled_from(["7", "8"]), "meter_start_wh": st.sampled_from([0.0, 1000.0])},
        optional={"id_token": st.just("TAG-1"), "start_source_raw": st.just("Authorize")}),
    EventKind.CHARGING_STATE_CHANGED: st.fixed_dictionaries({"state": st.sampled_from(list(ChargingState))}),
    EventKind.STOP_REQUESTED: st.just({"by": "operator"}),
    EventKind.STOP_REJECTED: st.just({"reason": "busy"}),
    EventKind.TRANSACTION_STOPPED: st.fixed_dictionaries(
        {"meter_stop_wh": st.sampled_from([0.0, 7000.0, 22000.0]), "reason": st.just("EVDisconnected")},
        optional={"orphan": st.just(True)}),
    EventKind.FORCE_CLOSED: st.fixed_dictionaries({"by": st.just("station CP-1"), "why": st.just("rebooted")},
                                                  optional={"evidence": st.just("BootNotification")}),
    EventKind.UNPLUGGED: st.just({}),
    EventKind.PLUGGED_IN: st.just({}),
    EventKind.FAILED: st.fixed_dictionaries({}, optional={"reason": st.just("hardware")}),
    EventKind.SETTLED: st.just({"why": "vehicle left"}),
    EventKind.ROAMING_ATTRIBUTED: st.just({"network": "OCPI", "provider_id": "NL-EMS"}),
    EventKind.CUSTOM_FIELDS_SET: st.fixed_dictionaries({"fields": st.dictionaries(st.sampled_from("ab"),
                                                                                  st.integers(0, 3))},
                                                       optional={"removed": st.lists(st.sampled_from("ab"))}),
    EventKind.SILENCE_FLAGGED: st.just({"last_seen": "2024-03-01T08:00:00+00:00"}),
    EventKind.FLAG_RESOLVED: st.sampled_from([{"flag": "force_closed", "reason": "ok", "by": "ops"},
                                              {"flag": "session_silent", "reason": "ok", "by": "ops"}]),
    EventKind.LATE_FACTS: st.just({}),
    EventKind.PRICED: st.just({}),
}


@st.composite
def stored_events(draw) -> list[SessionEvent]:
    """Events in the order they were stored (seq 1, 2, …), each at a minute of a short window (ties are common),
    some with a 2.0.1 seqNo."""
    count = draw(st.integers(0, 14))
    out = []
    for seq in range(1, count + 1):
        kind = draw(st.sampled_from(sorted(_PAYLOADS)))
        payload = dict(draw(_PAYLOADS[kind]))
        if draw(st.booleans()):
            payload["seq_no"] = draw(st.integers(0, 4))
        out.append(SessionEvent(kind, T0 + timedelta(minutes=draw(st.integers(0, 12))), EventSource.OCPP, payload,
                                seq=seq))
    return out


@st.composite
def register_samples(draw) -> list[MeterSample]:
    minutes = sorted(draw(st.sets(st.integers(0, 12), max_size=6)))
    wh = 0.0
    out = []
    for minute in minutes:
        wh += draw(st.sampled_from([0.0, 100.0, 350.0]))
        out.append(MeterSample(T0 + timedelta(minutes=minute), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, wh))
    return out


@settings(max_examples=300, deadline=None)
@given(events=stored_events(), cuts=st.lists(st.integers(0, 14), max_size=5), samples=register_samples(),
       now=st.none() | st.just(T0 + timedelta(minutes=30)))
def test_the_fold_extended_chunk_by_chunk_is_the_projection_of_all_events(events, cuts, samples, now):
    fold = Fold()
    begin = 0
    for cut in sorted({min(c, len(events)) for c in cuts}) + [len(events)]:
        fold.extend(events[begin:cut])
        begin = max(begin, cut)
        # after every chunk the view is the full projection of what is stored so far
        assert fold.view(samples, now) == project(events[:begin], samples, now)
    assert fold.view(samples, now) == project(events, samples, now)


def test_an_event_stored_late_that_sorts_earlier_starts_the_fold_again():
    started = SessionEvent(EventKind.TRANSACTION_STARTED, T0 + timedelta(minutes=1), EventSource.OCPP,
                           {"transaction_id": "7", "meter_start_wh": 0.0}, seq=1)
    stopped = SessionEvent(EventKind.TRANSACTION_STOPPED, T0 + timedelta(minutes=60), EventSource.OCPP,
                           {"meter_stop_wh": 5000.0, "reason": "Local"}, seq=2)
    # an offline queue's authorisation, stored after the stop but a fact from before the start
    authorized = SessionEvent(EventKind.AUTHORIZED, T0, EventSource.OCPP, {"id_token": "TAG-9"}, seq=3)
    fold = Fold().extend([started, stopped])
    assert fold.view().identity.id_token is None
    fold.extend([authorized])
    assert fold.view() == project([started, stopped, authorized])
    assert fold.view().identity.id_token == "TAG-9"
    assert fold.view().timeline[0].at == T0  # created at its earliest fact, not at the first stored


def test_a_view_taken_from_the_fold_does_not_change_when_the_fold_goes_on():
    fields = SessionEvent(EventKind.CUSTOM_FIELDS_SET, T0, EventSource.OPERATOR, {"fields": {"fleet": "A"}}, seq=1)
    fold = Fold().extend([fields])
    before = fold.view()
    fold.extend([SessionEvent(EventKind.CUSTOM_FIELDS_SET, T0 + timedelta(minutes=1), EventSource.OPERATOR,
                              {"fields": {"fleet": "B"}}, seq=2)])
    assert before.custom_fields == {"fleet": "A"}
    assert fold.view().custom_fields == {"fleet": "B"}
