"""Refunds through the API: partial and full, idempotent under the client key, and every refusal changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chargeledger.http.app import create_app
from chargeledger.payments.store import payments_of
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, add_user_key
from tests.settlement.helpers import record_session, tariff_text


def _setup(engine, payment=None):
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "site", "ACME-SITE")
    sid = record_session(engine, payment=payment)  # pays 6.53 EUR
    client = TestClient(create_app(engine))
    key = add_user_key(engine, "sup@acme.example", ["ACME"], ["support"])
    return sid, client, {"Authorization": f"Bearer {key}"}


def _refund(client, auth, sid, amount, key, currency="EUR", reason="charger fault"):
    return client.post(f"/api/sessions/{sid}/refunds", headers=auth,
                       json={"amount": amount, "currency": currency, "reason": reason, "idempotency_key": key})


def test_partial_then_full_refund_never_above_captured(engine):
    sid, client, auth = _setup(engine)
    first = _refund(client, auth, sid, "2.00", "r1")
    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    assert payments_of(engine, sid)[0]["status"] == "partly_refunded"
    above = _refund(client, auth, sid, "4.54", "r2")
    assert above.status_code == 422 and "refundable 4.53" in above.json()["detail"]
    rest = _refund(client, auth, sid, "4.53", "r3")
    assert rest.status_code == 201
    payment = payments_of(engine, sid)[0]
    assert payment["status"] == "refunded" and payment["refundable"] == "0.00" and len(payment["refunds"]) == 2


def test_same_key_same_body_returns_the_first_result_and_other_body_is_409(engine):
    sid, client, auth = _setup(engine)
    first = _refund(client, auth, sid, "1.00", "same-key")
    again = _refund(client, auth, sid, "1.00", "same-key")
    assert again.status_code == 200 and again.json() == first.json()
    conflict = _refund(client, auth, sid, "2.00", "same-key")
    assert conflict.status_code == 409
    assert len(payments_of(engine, sid)[0]["refunds"]) == 1


def test_refusals_change_nothing(engine):
    sid, client, auth = _setup(engine)
    before = payments_of(engine, sid)
    assert _refund(client, auth, sid, "1.00", "k1", currency="USD").status_code == 422  # another currency
    assert _refund(client, auth, sid, "0", "k2").status_code == 422
    assert _refund(client, auth, sid, "-1", "k3").status_code == 422
    assert _refund(client, auth, sid, "1.001", "k4").status_code == 422  # finer than the cent
    assert _refund(client, auth, sid, "abc", "k5").status_code == 422
    assert _refund(client, auth, sid, "99.00", "k6").status_code == 422  # above refundable
    assert payments_of(engine, sid) == before
    reports = add_user_key(engine, "rep@acme.example", ["ACME"], ["reports"])
    assert _refund(client, {"Authorization": f"Bearer {reports}"}, sid, "1.00", "k7").status_code == 403
    add_network(engine, "OTHER", "CP-9")
    other = add_user_key(engine, "x@other.example", ["OTHER"], ["finance"])
    assert _refund(client, {"Authorization": f"Bearer {other}"}, sid, "1.00", "k8").status_code == 404


def test_refund_of_an_unpaid_session_is_refused(engine):
    sid, client, auth = _setup(engine, payment={"method": "card", "card_last4": "0002"})  # declined
    answer = _refund(client, auth, sid, "1.00", "k1")
    assert answer.status_code == 422 and "unpaid" in answer.json()["detail"]
    assert payments_of(engine, sid)[0]["refunds"] == []
