"""Typed events: one class per kind, a version in the stored payload, version-1 dicts read back typed."""

from datetime import datetime, timezone
from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.typed_events import REGISTRY, VERSION_KEY, Priced, Settled, SilenceFlagged, typed
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, at


def test_every_kind_has_its_class():
    assert set(REGISTRY) == set(EventKind)
    assert all(cls.kind == kind and cls.version >= 2 for kind, cls in REGISTRY.items())


def test_version_one_dicts_are_upcast():
    old = typed("priced", {"version": 3, "reason": "re-priced", "currency": "EUR", "payment_total": "12.34",
                           "ocpi_totals": {"total_cost": "10.20"}})
    assert isinstance(old, Priced) and old.version_number == 3 and old.payment_total == Decimal("12.34")
    assert old.extra["ocpi_totals"] == {"total_cost": "10.20"}  # keys the class does not name are kept
    again = typed("priced", old.to_payload())
    assert again == old and old.to_payload()["version"] == 3 and old.to_payload()[VERSION_KEY] == 2


def test_a_newer_version_is_refused_not_misread():
    try:
        typed("settled", {VERSION_KEY: 99})
    except ValueError as exc:
        assert "newer" in str(exc)
    else:
        raise AssertionError("a payload from a newer version was read as this one")


def test_typed_events_round_trip_through_the_ledger(engine):
    add_network(engine)
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ledger = Ledger(engine)
    session_id, _ = ledger.record(SessionRef("typed-1", "ACME", "ACME-SITE", "CP-1"), [
        NewEvent.of(SilenceFlagged(last_seen=seen), at(0), EventSource.SYSTEM, "typed-1:silence"),
        NewEvent.of(Settled(why="vehicle left", payment={"method": "card", "card_last4": "4242"}), at(1),
                    EventSource.SYSTEM, "typed-1:settled"),
        NewEvent(EventKind.DRIVER_RATED, at(2), EventSource.OPERATOR, {"stars": 4, "platform": "iOS app"}),
    ])
    silence, settled, rated = [e.typed for e in ledger.events(session_id)]
    assert silence == SilenceFlagged(last_seen=seen)
    assert settled.payment == {"method": "card", "card_last4": "4242"} and settled.why == "vehicle left"
    assert rated.stars == 4 and rated.extra == {"platform": "iOS app"}  # a version-1 row, read typed


def test_a_chargers_fact_is_written_typed_and_keeps_every_key():
    from chargeledger.ocpp.recorder import ocpp_event
    from chargeledger.domain.typed_events import TransactionStarted

    event = ocpp_event(EventKind.TRANSACTION_STARTED, at(0), "k", transaction_id="7", meter_start_wh=1000.0,
                       id_token="TAG", token_type="ISO14443", reservation_id=None, token_status="Accepted")
    assert event.payload[VERSION_KEY] == TransactionStarted.version
    started = typed(event.kind, event.payload)
    assert isinstance(started, TransactionStarted) and started.meter_start_wh == 1000.0
    assert started.extra == {"token_status": "Accepted", "reservation_id": None}
