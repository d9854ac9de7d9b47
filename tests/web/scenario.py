"""A small operator for the browser tests: one network, a driver with a team and vehicle, sessions in each state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from chargeledger.directory import registry
from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.meter import Measurand, MeterSample, Phase
from chargeledger.domain.network import Team
from chargeledger.domain.people import Driver, IdToken, Vehicle
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.tariffs import store as tariffs
from tests.builders import T0, add_network, add_user_key, at

EVSE = "NL*ACM*ECP1*1"
# 0.30 EUR/kWh + 1.00 EUR start fee, both with 21 % VAT: the completed session pays (27.5 × 0.30 + 1) × 1.21.
TARIFF = ('{"country_code": "NL", "party_id": "ACM", "id": "WEB-1", "currency": "EUR", "type": "REGULAR", '
          '"elements": [{"price_components": [{"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1}, '
          '{"type": "FLAT", "price": 1.00, "vat": 21.0, "step_size": 1}]}], "last_updated": "2024-01-01T00:00:00Z"}')
OCPP, OPERATOR, ROAMING = EventSource.OCPP, EventSource.OPERATOR, EventSource.ROAMING


def _ev(kind, when, origin=OCPP, source_of=None, **payload):
    if source_of:  # the odometer reading's own source (driver, telematics, OCR)
        payload["source"] = source_of
    return NewEvent(kind, when, origin, payload)


def _samples(start: datetime, minutes: int, step: int = 1, kw: float = 11.0) -> list[MeterSample]:
    out = []
    for m in range(0, minutes + 1, step):
        t = start + timedelta(minutes=m)
        out += [MeterSample(t, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 5000 + kw * 1000 * m / 60),
                MeterSample(t, Measurand.POWER_ACTIVE_IMPORT, kw * 1000),
                MeterSample(t, Measurand.CURRENT_IMPORT, 16.0, Phase.L1),
                MeterSample(t, Measurand.VOLTAGE, 230.0, Phase.L1),
                MeterSample(t, Measurand.SOC, min(100.0, 20 + m * 0.5))]
    return out


def build(engine) -> dict[str, int | str]:
    add_network(engine)  # ACME, site ACME-SITE (Amsterdam), station CP-1 with EVSE NL*ACM*ECP1*1
    add_network(engine, org_id="OTHER", station_id="CP-9")
    registry.add_team(engine, Team("TEAM-1", "ACME", "Fleet team", Decimal("0.30")))
    registry.add_driver(engine, Driver("DRV-1", "ACME", "Dana Driver", "dana@example.org", "+31 6 1234 5678", "TEAM-1"),
                        [IdToken("AA11", "DRV-1")], Vehicle("V-1", "DRV-1", "Volkswagen", "ID.3"))
    stored = tariffs.save_tariff(engine, "ACME", TARIFF)
    tariffs.assign(engine, stored.tariff_id, "site", "ACME-SITE")
    ledger = Ledger(engine)
    ref = lambda key, org="ACME", station="CP-1", evse=EVSE: SessionRef(key, org, f"{org}-SITE", station, evse, 1)
    ids: dict[str, int | str] = {}

    # Completed, with per-minute telemetry over 2.5 hours, a rating, odometer readings and vehicle snapshots.
    events = [
        _ev(EventKind.PLUGGED_IN, at(-1)),
        _ev(EventKind.TRANSACTION_STARTED, at(0), transaction_id="101", meter_start_wh=5000, id_token="AA11",
            driver_id="DRV-1", start_source_raw="ISO14443", energy_limit_wh=40000),
        _ev(EventKind.CHARGING_STATE_CHANGED, at(0), state="charging"),
        _ev(EventKind.TRANSACTION_STOPPED, at(150), meter_stop_wh=5000 + 11000 * 2.5, reason="EVDisconnected"),
        _ev(EventKind.UNPLUGGED, at(155)),
        _ev(EventKind.SETTLED, at(156), EventSource.SYSTEM, payment={"method": "card", "card_last4": "4242"}),
        _ev(EventKind.DRIVER_RATED, at(160), OPERATOR, stars=4, comment="Quick and easy", platform="iOS app"),
        _ev(EventKind.ODOMETER_READ, at(1), OPERATOR, km=12040, source_of="driver"),
        _ev(EventKind.ODOMETER_READ, at(2), OPERATOR, km=12043, source_of="telematics"),
        _ev(EventKind.VEHICLE_SNAPSHOT, at(0), OPERATOR, at="start", latitude=52.3702, longitude=4.8952, soc=20,
            odometer_km=12043),
        _ev(EventKind.VEHICLE_SNAPSHOT, at(150), OPERATOR, at="stop", latitude=52.0907, longitude=5.1214, soc=95,
            odometer_km=12043),
    ]
    ids["completed"], _ = ledger.record(ref("web:completed"), events, _samples(at(0), 150))

    # Failed before any energy, with its reason.
    ids["failed"], _ = ledger.record(ref("web:failed"), [
        _ev(EventKind.AUTHORIZED, at(200), id_token="AA11", driver_id="DRV-1"),
        _ev(EventKind.FAILED, at(201), reason="EVSE fault: ground failure"),
    ])

    # Roaming, recorded whole by a partner: no samples at all (two-point fallback), plain-text driver.
    ids["roaming"], _ = ledger.record(ref("web:roaming"), [
        _ev(EventKind.SESSION_RECORDED, at(300), ROAMING, started_at_override=None, transaction_id="R-1",
            contract_id="DE-XYZ-C12345678-X", energy_wh=18500, stopped_at=at(420).isoformat(),
            meter_start_wh=None, start_source_raw="emaid"),
        _ev(EventKind.ROAMING_ATTRIBUTED, at(300), ROAMING, network="Hubject", operator_id="NL*ACM",
            provider_id="DE-XYZ", roaming_cdr_id="CDR-77", partner_transaction_id="HB-123"),
    ])

    # Stopped with a data-quality flag: the register went backwards (stop below start).
    ids["flagged"], _ = ledger.record(ref("web:flagged"), [
        _ev(EventKind.TRANSACTION_STARTED, at(500), transaction_id="102", meter_start_wh=9000, id_token="BB22"),
        _ev(EventKind.TRANSACTION_STOPPED, at(560), meter_stop_wh=8000, reason="Local"),
    ])

    # Charging right now, simulated, with a few samples so far.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ids["charging"], _ = ledger.record(ref("web:charging"), [
        _ev(EventKind.SESSION_CREATED, now - timedelta(minutes=20), simulated=True),
        _ev(EventKind.TRANSACTION_STARTED, now - timedelta(minutes=20), transaction_id="103", meter_start_wh=5000,
            id_token="AA11", driver_id="DRV-1", start_source_raw="RemoteStart"),
        _ev(EventKind.CHARGING_STATE_CHANGED, now - timedelta(minutes=20), state="charging"),
    ], _samples(now - timedelta(minutes=20), 18, 2))

    # Another organisation's session, which ACME users must never see.
    ids["other"], _ = ledger.record(ref("web:other", "OTHER", "CP-9", "NL*OTH*ECP9*1"), [
        _ev(EventKind.TRANSACTION_STARTED, at(0), transaction_id="900", meter_start_wh=0, id_token="ZZ99"),
        _ev(EventKind.TRANSACTION_STOPPED, at(30), meter_stop_wh=4000, reason="Local"),
    ])
    ids["support_key"] = add_user_key(engine, "support@acme.example", ["ACME"], ["support"])
    ids["finance_key"] = add_user_key(engine, "finance@acme.example", ["ACME"], ["finance", "reports"])
    return ids


assert T0.tzinfo is not None
