"""A small operator world for report tests: sessions through the real ledger, settlements in the real table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger.store import Ledger, NewEvent, SessionRef
from chargeledger.storage.tables import session_settlements, sessions, sites, stations
from sqlalchemy import select, update

from tests.builders import add_network

UTC = timezone.utc


def station_evse(engine, station_id: str) -> tuple[str, str, str]:
    from chargeledger.storage.tables import evses
    with engine.connect() as conn:
        row = conn.execute(select(stations.c.organisation_id, stations.c.site_id, evses.c.evse_id)
                           .join(evses, evses.c.station_id == stations.c.id)
                           .where(stations.c.id == station_id)).first()
    return row.organisation_id, row.site_id, row.evse_id


def record_session(engine, key: str, start: datetime, minutes: float, energy_wh: float, station: str = "CP-1",
                   network: str | None = None, token: str = "04AABBCC", failed: bool = False,
                   start_source: str = "rfid", provider: str = "NL-EFL", transaction: str | None = "T1") -> int:
    org, site, evse = station_evse(engine, station)
    stop = start + timedelta(minutes=minutes)
    events = [NewEvent(EventKind.SESSION_RECORDED, start, EventSource.ROAMING if network else EventSource.OCPP, {
        "transaction_id": transaction, "meter_start_wh": 1000, "meter_stop_wh": 1000 + energy_wh,
        "stopped_at": stop.isoformat(), "energy_wh": energy_wh, "id_token": token,
        "start_source_raw": start_source}, idempotency_key=f"{key}:recorded")]
    if network:
        events.append(NewEvent(EventKind.ROAMING_ATTRIBUTED, start, EventSource.ROAMING, {
            "network": network, "operator_id": "NL*ACM", "provider_id": provider,
            "roaming_cdr_id": f"CDR-{key}", "partner_transaction_id": f"PT-{key}"}, idempotency_key=f"{key}:roam"))
    if failed:
        events.append(NewEvent(EventKind.FAILED, stop, EventSource.OCPP, {"reason": "EVCommunicationError"},
                               idempotency_key=f"{key}:failed"))
    session_id, _ = Ledger(engine).record(SessionRef(key, org, site, station, evse, 1), events)
    return session_id


def settle(engine, session_id: int, total_incl: str, vat: str = "21", version: int = 1,
           settled_at: datetime | None = None, currency: str = "EUR", taxes: list | None = None,
           bill: dict | None = None, **extra) -> None:
    incl = Decimal(total_incl)
    rate = Decimal(vat)  # a percentage, as settlement/compute.py stores it
    excl = (incl / (1 + rate / 100)).quantize(Decimal("0.0001"))
    with engine.begin() as conn:
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == session_id)
                     .values(current=False))
        energy = conn.execute(select(sessions.c.energy_wh).where(sessions.c.id == session_id)).scalar()
        values = dict(
            session_id=session_id, version=version, current=True,
            settled_at=settled_at or datetime(2024, 3, 10, tzinfo=UTC), reason="test", tariff_id="T",
            tariff_version=1, currency=currency, total_energy_kwh=Decimal(str(energy)) / 1000,
            total_time_hours=Decimal("1"), total_cost_excl_vat=excl, total_cost_incl_vat=incl,
            total_energy_cost_excl_vat=excl, total_energy_cost_incl_vat=incl,
            connection_fee=Decimal("0.50"), session_fee=excl - Decimal("0.50"), occupancy_fee=Decimal("0"),
            subtotal=excl.quantize(Decimal("0.01")), taxes_inclusive=False, taxes=taxes,
            total_tax=(incl - excl).quantize(Decimal("0.01")), vat_rate=rate, payment_total=incl,
            gateway_fee=Decimal("0.30"), platform_fee=Decimal("0.10"),
            revenue=incl - (incl - excl).quantize(Decimal("0.01")) - Decimal("0.40"),
            settlement_currency="USD", exchange_rate=Decimal("1.08"), gateway_fee_settlement=Decimal("0.32"),
            platform_fee_settlement=Decimal("0.11"), revenue_settlement=Decimal("1.00"), bill_details=bill)
        values.update(extra)
        conn.execute(session_settlements.insert().values(**values))


def operator_world(engine) -> None:
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "OTHER", "OT-1", time_zone="America/New_York", country="US", currency="USD")
    # Real sites have a position; OCPI CDRs cannot be sent without one.
    with engine.begin() as conn:
        conn.execute(update(sites).where(sites.c.id == "ACME-SITE")
                     .values(latitude=Decimal("52.370216"), longitude=Decimal("4.895168")))
        conn.execute(update(sites).where(sites.c.id == "OTHER-SITE")
                     .values(latitude=Decimal("40.712776"), longitude=Decimal("-74.005974")))
