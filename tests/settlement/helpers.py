"""Shared by the money tests: a two-window tariff, a station with a billing profile, a recorded session."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.ledger.store import Ledger, NewEvent, SessionRef
from chargeledger.storage.tables import stations
from tests.builders import at

TOU_TARIFF = {
    "country_code": "NL", "party_id": "ACM", "id": "TOU-1", "currency": "EUR", "type": "REGULAR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": "0.20", "vat": "21.0", "step_size": 1}],
         "restrictions": {"start_time": "00:00", "end_time": "07:00"}},
        {"price_components": [{"type": "ENERGY", "price": "0.40", "vat": "21.0", "step_size": 1},
                              {"type": "PARKING_TIME", "price": "2.00", "vat": "21.0", "step_size": 60}]},
    ],
    "last_updated": "2024-01-01T00:00:00Z",
}


def tariff_text(tariff: dict = TOU_TARIFF) -> str:
    """OCPI JSON with real numbers (not strings) for the price fields, as partners send it."""
    text = json.dumps(tariff)
    for key in ("price", "vat"):
        text = text.replace(f'"{key}": "', f'"{key}": ')
    import re
    return re.sub(r'("(?:price|vat)": )([0-9.]+)"', r"\1\2", text)


def set_profile(engine, station_id: str, profile: dict | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(billing_profile=profile))


def record_session(engine, key: str = "s1", start_min: float = 0, charge_min: float = 60, wh: float = 11000,
                   idle_min: float = 30, settle: bool = True, payment: dict | None = None, custom: dict | None = None):
    """A whole OCPP-style session: start, charge with register readings, stop, unplug, settle."""
    ledger = Ledger(engine)
    ref = SessionRef(key, "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)
    t0 = at(start_min)
    events = [
        NewEvent(EventKind.PLUGGED_IN, t0, EventSource.OCPP, idempotency_key=f"{key}:plug"),
        NewEvent(EventKind.TRANSACTION_STARTED, t0, EventSource.OCPP,
                 {"transaction_id": key, "meter_start_wh": 1000, "id_token": "TOKEN1"}, f"{key}:start"),
    ]
    sid, _ = ledger.record(ref, events, [
        MeterSample(t0, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 1000.0)])
    steps = 4
    samples = [MeterSample(t0 + timedelta(minutes=charge_min * i / steps), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                           1000.0 + wh * i / steps) for i in range(1, steps + 1)]
    stop = t0 + timedelta(minutes=charge_min)
    later = [
        NewEvent(EventKind.TRANSACTION_STOPPED, stop, EventSource.OCPP, {"meter_stop_wh": 1000 + wh},
                 f"{key}:stop"),
        NewEvent(EventKind.UNPLUGGED, stop + timedelta(minutes=idle_min), EventSource.OCPP,
                 idempotency_key=f"{key}:unplug"),
    ]
    if custom:
        later.append(NewEvent(EventKind.CUSTOM_FIELDS_SET, t0, EventSource.OPERATOR, {"fields": custom},
                              f"{key}:custom"))
    ledger.record(ref, later, samples)
    if settle:
        ledger.record(ref, [NewEvent(EventKind.SETTLED, stop + timedelta(minutes=idle_min), EventSource.SYSTEM,
                                     {"payment": payment or {"method": "card", "card_last4": "4242"}},
                                     f"{key}:settled")])
    return sid
