"""Status, timeline and intervals projected from OCPP-like event streams."""

from datetime import timedelta

from chargeledger.domain.events import EventKind, EventSource, SessionEvent
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.domain.projection import Milestone, SessionStatus, project
from chargeledger.domain.start_source import StartSource
from tests.builders import at


def ev(kind, minutes, seq=0, **payload):
    return SessionEvent(kind, at(minutes), EventSource.OCPP, payload, seq=seq)


def full_session():
    return [
        ev(EventKind.PLUGGED_IN, 0, 1),
        ev(EventKind.AUTHORIZED, 1, 2, id_token="04A2B3C4", token_type="ISO14443"),
        ev(EventKind.TRANSACTION_STARTED, 2, 3, transaction_id="17", meter_start_wh=1000,
           start_source_raw="ISO14443"),
        ev(EventKind.CHARGING_STATE_CHANGED, 2, 4, state="charging"),
        ev(EventKind.CHARGING_STATE_CHANGED, 62, 5, state="suspended_ev"),
        ev(EventKind.TRANSACTION_STOPPED, 92, 6, meter_stop_wh=12000, reason="EVDisconnected"),
        ev(EventKind.UNPLUGGED, 95, 7),
    ]


def test_full_session_status_intervals_and_energy():
    view = project(full_session())
    assert view.status == SessionStatus.STOPPED
    assert view.energy_wh == 11000
    assert view.intervals.plug_duration == timedelta(minutes=95)
    assert view.intervals.charging_duration == timedelta(minutes=60)
    assert view.intervals.idle_duration == timedelta(minutes=33)  # suspended 62..95, parked after stop too
    assert view.start_source == StartSource.RFID
    assert view.identity.id_token == "04A2B3C4"
    assert view.average_power_w == 11000.0


def test_settled_session_is_completed_and_timeline_has_time_in_each():
    view = project(full_session() + [SessionEvent(EventKind.SETTLED, at(95), EventSource.SYSTEM, {}, seq=8)])
    assert view.status == SessionStatus.COMPLETED
    milestones = [t.milestone for t in view.timeline]
    assert milestones[:3] == [Milestone.CREATED, Milestone.STARTING, Milestone.CHARGING]
    assert Milestone.RELEASED in milestones and Milestone.COMPLETED in milestones
    stopped = next(t for t in view.timeline if t.milestone == Milestone.STOPPED)
    assert stopped.time_in == timedelta(minutes=3)


def test_no_energy_means_cancelled():
    events = full_session()
    events[5] = ev(EventKind.TRANSACTION_STOPPED, 3, 6, meter_stop_wh=1000, reason="Local")
    events = events[:3] + events[5:]
    assert project(events).status == SessionStatus.CANCELLED


def test_suspended_is_paused_and_stop_request_is_stopping_until_rejected():
    events = full_session()[:5]
    assert project(events).status == SessionStatus.PAUSED
    events.append(SessionEvent(EventKind.STOP_REQUESTED, at(70), EventSource.OPERATOR, {"by": "ops"}, seq=9))
    assert project(events).status == SessionStatus.STOPPING
    events.append(SessionEvent(EventKind.STOP_REJECTED, at(70), EventSource.OCPP, {"reason": "Rejected"}, seq=10))
    assert project(events).status == SessionStatus.PAUSED


def test_failed_keeps_reason():
    events = full_session()[:3] + [ev(EventKind.FAILED, 4, 9, reason="GroundFault")]
    view = project(events)
    assert view.status == SessionStatus.FAILED and view.failure_reason == "GroundFault"


def test_power_near_zero_while_reported_charging_is_idle():
    events = [ev(EventKind.TRANSACTION_STARTED, 0, 1, meter_start_wh=0),
              ev(EventKind.CHARGING_STATE_CHANGED, 0, 2, state="charging"),
              ev(EventKind.TRANSACTION_STOPPED, 120, 3, meter_stop_wh=11000)]
    power = [MeterSample(at(m), Measurand.POWER_ACTIVE_IMPORT, 11000.0 if m < 60 else 20.0) for m in range(0, 120, 10)]
    view = project(events, power)
    assert view.intervals.charging_duration == timedelta(minutes=60)
    assert view.intervals.idle_duration == timedelta(minutes=60)


def test_out_of_order_delivery_projects_the_same():
    events = full_session()
    shuffled = [events[i] for i in (6, 2, 0, 5, 1, 4, 3)]
    assert project(shuffled).intervals == project(events).intervals
    assert project(shuffled).status == project(events).status


def test_a_transaction_started_at_the_plug_takes_its_start_source_from_the_token_that_authorised_it():
    # 2.0.1 with TxStartPoint EVConnected: Started (CablePluggedIn, no token), then Updated (Authorized, ISO14443)
    events = [ev(EventKind.TRANSACTION_STARTED, 0, 1, transaction_id="T-1", meter_start_wh=0,
                 start_source_raw="CablePluggedIn"),
              ev(EventKind.AUTHORIZED, 1, 2, id_token="04A2B3C4", token_type="ISO14443")]
    view = project(events)
    assert view.start_source == StartSource.RFID
    assert view.start_source_raw == "CablePluggedIn"  # what the charger sent stays visible
    assert project(events[:1]).start_source is None  # nothing to go by before the token
