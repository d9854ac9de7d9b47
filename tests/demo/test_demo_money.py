"""The demo's history is priced by the real settlement code: tariffs frozen at start, settlements, payments with
failures and refunds, breakdowns and receipts; and drivers' apps and cars add ratings, odometers and snapshots."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from chargeledger.access import accounts
from chargeledger.http.app import create_app
from chargeledger.ledger import Ledger
from chargeledger.payments.reasons import FailureReason
from chargeledger.storage.tables import payments, refunds, session_events, session_settlements, sessions


def test_demo_sessions_are_settled_paid_and_refunded(demo):
    engine, summary = demo.engine, demo.summary
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(sessions))}
        current = {s.session_id: s for s in conn.execute(
            select(session_settlements).where(session_settlements.c.current.is_(True)))}
        pays = conn.execute(select(payments)).all()
        refund_rows = conn.execute(select(refunds)).all()
        kinds = Counter(conn.execute(select(session_events.c.kind)).scalars())
        frozen = conn.execute(select(session_events.c.session_id, session_events.c.occurred_at)
                              .where(session_events.c.kind == "tariff_frozen")).all()

    ended = [r for r in rows.values() if r.stopped_at is not None]
    assert ended and set(current) == {r.id for r in ended}
    assert summary.money.settled == len(ended)
    for row in ended:
        settlement = current[row.id]
        assert settlement.tariff_id is not None, f"session {row.id} found no tariff in force"
        if row.energy_wh > 0 and row.status == "Completed":
            assert Decimal(settlement.payment_total) > 0, row.id
    # the tariff is the one in force at the session's start, frozen at that time
    assert all(at == rows[sid].started_at for sid, at in frozen)
    # EUR with VAT for the Dutch operator, USD with US jurisdictions' taxes on billing-profile stations
    by_currency = Counter(current[r.id].currency for r in ended)
    assert by_currency["EUR"] > 0 and by_currency["USD"] > 0
    us_taxes = {t["jurisdiction"] for s in current.values() if s.currency == "USD" for t in s.taxes or []}
    assert {"State", "County", "City"} <= us_taxes
    assert any(Decimal(s.vat_rate or 0) == 21 for s in current.values())
    assert any(Decimal(s.occupancy_fee or 0) > 0 for s in current.values())  # idle fees on DC after 45 min
    assert any(Decimal(s.connection_fee or 0) > 0 for s in current.values())  # start fees

    # payments through the simulated gateway: captured, invoiced, and failures from the seed's list
    statuses = Counter(p.status for p in pays)
    assert statuses["captured"] > 0 and statuses["invoiced"] > 0
    reasons = {p.failure_reason for p in pays if p.status == "failed"}
    assert reasons and reasons <= {r.value for r in FailureReason}
    assert summary.money.refunds == len(refund_rows) > 0
    assert {p.status for p in pays if p.id in {r.payment_id for r in refund_rows}} <= {"refunded", "partly_refunded"}

    # drivers' apps and cars
    assert kinds["driver_rated"] > 0 and kinds["odometer_read"] > 0 and kinds["vehicle_snapshot"] > 0
    limited = [e for e in _events_of_kind(engine, "transaction_started") if e.payload.get("energy_limit_wh")]
    assert limited and all(rows[e.session_id].energy_wh <= e.payload["energy_limit_wh"] for e in limited)

    # settling history keeps each stored projection current, refunded sessions included
    ledger = Ledger(engine)
    for session_id in [ended[0].id, summary.money.refunded_sessions[0]]:
        with engine.connect() as conn:
            before = tuple(conn.execute(select(sessions).where(sessions.c.id == session_id)).one())
        ledger.refresh(session_id)
        with engine.connect() as conn:
            assert tuple(conn.execute(select(sessions).where(sessions.c.id == session_id)).one()) == before


def _events_of_kind(engine, kind: str):
    with engine.connect() as conn:
        return conn.execute(select(session_events).where(session_events.c.kind == kind)).all()


def test_demo_session_shows_breakdown_and_receipt(demo):
    engine = demo.engine
    key = accounts.create_key(engine, "admin@demo.chargeledger.org")
    auth = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(engine))
    with engine.connect() as conn:
        session_id = conn.execute(select(sessions.c.id).where(sessions.c.status == "Completed",
                                                               sessions.c.energy_wh > 0)
                                  .order_by(sessions.c.id).limit(1)).scalar()
    detail = client.get(f"/api/sessions/{session_id}", headers=auth).json()
    assert Decimal(detail["money"]["settlement"]["payment_total"]) > 0 and detail["money"]["payments"]
    breakdown = client.get(f"/api/sessions/{session_id}/breakdown", headers=auth)
    assert breakdown.status_code == 200
    assert any(section["lines"] for section in breakdown.json()["sections"])
    receipt = client.get(f"/sessions/{session_id}/receipt.pdf", headers=auth)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
