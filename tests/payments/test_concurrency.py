"""Money moves on one payment under parallel requests, through the real HTTP server, on SQLite and PostgreSQL.

Fifty requests at once: refunds with their own keys (more than the capture allows), replays of one key, and
repeated captures of the session. Afterwards: the refunds never exceed the capture, every 201 is a refund with
exactly one ledger entry, every replay got the first answer, and the ledger's sequence numbers have no gap.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
from sqlalchemy import select

from chargeledger.payments.store import charge_session
from chargeledger.storage.tables import payments, refunds, session_events
from tests.http.live import serving
from tests.payments.test_refunds_api import _setup

REFUNDS, REPLAYS, CAPTURES = 36, 8, 6  # 50 moves; the capture is 6.53 EUR, 36 × 0.50 is far above it
# the replayed key asks 0.03, which always fits beside thirteen 0.50s: each of its requests must get the one refund


def test_fifty_parallel_money_moves_on_one_payment(engine):
    sid, _client, auth = _setup(engine)
    with serving(engine) as (base, _app):
        def refund(key: str):
            with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
                return key, http.post(f"/api/sessions/{sid}/refunds", json={
                    "amount": "0.03" if key == "replayed" else "0.50", "currency": "EUR", "reason": "parallel", "idempotency_key": key})

        def capture(_):
            return charge_session(engine, sid, Decimal("6.53"), "EUR", card_last4="4242")

        keys = [f"k{i}" for i in range(REFUNDS)] + ["replayed"] * REPLAYS
        with ThreadPoolExecutor(max_workers=50) as pool:
            captures = [pool.submit(capture, i) for i in range(CAPTURES)]
            answers = list(pool.map(refund, keys))
            captured = [c.result() for c in captures]

    assert {c["id"] for c in captured} == {captured[0]["id"]}  # one payment, however often it is taken
    assert all(r.status_code in (200, 201, 422) for _, r in answers), [r.text for _, r in answers]
    created = [r.json() for _, r in answers if r.status_code == 201]
    replays = [r.json() for k, r in answers if k == "replayed" and r.status_code in (200, 201)]
    with engine.connect() as conn:
        payment = conn.execute(select(payments).where(payments.c.session_id == sid)).one()
        stored = conn.execute(select(refunds).where(refunds.c.session_id == sid)).all()
        events = conn.execute(select(session_events).where(session_events.c.session_id == sid)
                              .order_by(session_events.c.seq)).all()
    succeeded = [r for r in stored if r.status == "succeeded"]
    assert sum(Decimal(r.amount) for r in succeeded) <= Decimal(payment.amount_captured) == Decimal("6.53")
    assert len(succeeded) == 14  # 0.03 once and 13 × 0.50: exactly the 6.53 captured, a 14th 0.50 does not fit
    assert sorted(r["id"] for r in created) == sorted(r.id for r in succeeded)
    assert len({r["id"] for r in replays}) == 1 and len(replays) == REPLAYS
    recorded = [e for e in events if e.kind == "refund_recorded"]
    assert sorted(e.idempotency_key for e in recorded) == sorted(f"refund:{r.id}" for r in succeeded)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sum(1 for e in events if e.kind == "payment_recorded") == 1
    assert not [r for r in stored if r.status == "pending"]
