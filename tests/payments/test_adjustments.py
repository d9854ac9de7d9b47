"""A re-priced session's difference reaches its payment once, shown as an extra capture or a refund (issue 12)."""

from __future__ import annotations

import copy
from decimal import Decimal

from sqlalchemy import select

from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import current_settlement
from chargeledger.storage.tables import session_events
from chargeledger.tariffs import store as tariffs
from tests.payments.test_refunds_api import _setup
from tests.settlement.helpers import TOU_TARIFF, tariff_text


def _new_tariff_version(engine, factor: str):
    changed = copy.deepcopy(TOU_TARIFF)
    for element in changed["elements"]:
        for component in element["price_components"]:
            component["price"] = str(Decimal(component["price"]) * Decimal(factor))
    tariffs.save_tariff(engine, "ACME", tariff_text(changed))


def _adjustments(engine, sid):
    with engine.connect() as conn:
        return [row.payload for row in conn.execute(select(session_events.c.payload).where(
            session_events.c.session_id == sid, session_events.c.kind == "payment_adjusted"))]


def _reprice(client, engine, sid, why="tariff corrected"):
    from tests.builders import add_user_key
    key = add_user_key(engine, f"fin-{why[:3]}@acme.example", ["ACME"], ["finance"])
    answer = client.post(f"/api/sessions/{sid}/reprice", json={"reason": why},
                         headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    return Decimal(current_settlement(engine, sid)["payment_total"])


def test_a_higher_price_is_captured_again_for_the_difference(engine):
    sid, client, _auth = _setup(engine)  # paid 6.53 EUR by card
    _new_tariff_version(engine, "2")
    total = _reprice(client, engine, sid)
    assert total > Decimal("6.53")
    payment = payments_of(engine, sid)[0]
    assert Decimal(payment["amount_captured"]) == total
    assert payment["attempts"][-1]["outcome"] == "captured"
    assert Decimal(payment["attempts"][-1]["amount"]) == total - Decimal("6.53")
    [adjusted] = _adjustments(engine, sid)
    assert adjusted["move"] == "extra capture" and Decimal(adjusted["difference"]) == total - Decimal("6.53")


def test_a_lower_price_is_refunded_and_a_second_reprice_moves_only_its_own_difference(engine):
    sid, client, auth = _setup(engine)
    _new_tariff_version(engine, "0.5")
    lower = _reprice(client, engine, sid)
    payment = payments_of(engine, sid)[0]
    assert Decimal(payment["refunded"]) == Decimal("6.53") - lower
    assert payment["refunds"][0]["reason"] == "re-priced" and payment["refunds"][0]["status"] == "succeeded"
    again = _reprice(client, engine, sid, "checked again")  # same tariff: same amounts, nothing moves
    assert again == lower
    assert len(payments_of(engine, sid)[0]["refunds"]) == 1
    assert [a["move"] for a in _adjustments(engine, sid)] == ["refund"]


def test_post_paid_sessions_owe_the_new_total(engine):
    sid, client, _auth = _setup(engine, payment={"method": "rfid_account"})
    before = payments_of(engine, sid)[0]
    assert before["status"] == "invoiced"
    _new_tariff_version(engine, "2")
    total = _reprice(client, engine, sid)
    after = payments_of(engine, sid)[0]
    assert Decimal(after["unsettled_amount"]) == Decimal(after["amount_due"]) == total
    assert _adjustments(engine, sid)[0]["move"] == "amount due changed"
