"""A live session's running price is what its settlement would charge if it ended now: the frozen tariff plus the
billing profile's fees and taxes (one way to price), equal to the settled total once it does end then."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.ledger.store import Ledger, NewEvent, SessionRef
from chargeledger.settlement.running import running_price
from chargeledger.settlement.store import current_settlement
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, at
from tests.settlement.helpers import set_profile, tariff_text

PROFILE = {"fees": {"connection": "1.00", "vat": "21"}}
REF = SessionRef("live-1", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)


def _live_session(engine) -> int:
    """Started at T0, 11 kWh metered over the first hour, no stop yet."""
    ledger = Ledger(engine)
    sid, _ = ledger.record(REF, [
        NewEvent(EventKind.PLUGGED_IN, at(0), EventSource.OCPP, idempotency_key="live-1:plug"),
        NewEvent(EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP,
                 {"transaction_id": "live-1", "meter_start_wh": 1000, "id_token": "TOKEN1"}, "live-1:start"),
    ], [MeterSample(at(0) + timedelta(minutes=15 * i), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 1000.0 + 2750 * i)
        for i in range(5)])
    return sid


def test_the_running_price_includes_the_billing_profiles_fees_and_equals_the_settled_total(engine):
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "station", "CP-1")
    set_profile(engine, "CP-1", PROFILE)
    sid = _live_session(engine)

    # 11 kWh × 0.40 = 4.40 and the 1.00 connection fee, both with 21 % VAT: 5.40 + 1.13 (the tariff alone: 5.32)
    live = running_price(engine, sid, at(60))
    assert live == {"amount": "6.53", "currency": "EUR"}

    Ledger(engine).record(REF, [
        NewEvent(EventKind.TRANSACTION_STOPPED, at(60), EventSource.OCPP, {"meter_stop_wh": 12000}, "live-1:stop"),
        NewEvent(EventKind.UNPLUGGED, at(60), EventSource.OCPP, idempotency_key="live-1:unplug"),
        NewEvent(EventKind.SETTLED, at(60), EventSource.SYSTEM, {"payment": {"method": "card"}}, "live-1:settled")])
    settled = current_settlement(engine, sid)
    assert Decimal(settled["payment_total"]) == Decimal(live["amount"])
    assert Decimal(settled["connection_fee"]) == Decimal("1.00")

