"""The simulated gateway's documented triggers, through real payment records on the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chargeledger.ledger.store import Ledger, SessionRef
from chargeledger.payments.gateway import SimulatedGateway
from chargeledger.payments.reasons import FailureReason
from chargeledger.payments.store import charge_session
from tests.builders import T0, add_network


def _session(engine, key="p1"):
    add_network(engine)
    return Ledger(engine).open_session(SessionRef(key, "ACME"), T0)[0]


def test_card_0002_declines_with_insufficient_funds(engine):
    sid = _session(engine)
    payment = charge_session(engine, sid, Decimal("12.40"), "EUR", "card", card_last4="0002")
    assert payment["status"] == "failed" and payment["failure_reason"] == "Insufficient Funds"
    assert payment["failed_amount"] == "12.40" and payment["unsettled_amount"] == "12.40"
    assert [a["outcome"] for a in payment["attempts"]] == ["failed"]  # not retryable


def test_amount_ending_13_fails_temporarily_then_succeeds_on_retry(engine):
    sid = _session(engine)
    payment = charge_session(engine, sid, Decimal("7.13"), "EUR", "card", card_last4="4242")
    assert [(a["outcome"], a["failure_reason"]) for a in payment["attempts"]] == [
        ("failed", "Temporary Error"), ("captured", None)]
    assert payment["status"] == "captured" and payment["amount_captured"] == "7.13"


def test_processing_error_is_retried_three_times_then_fails(engine):
    sid = _session(engine)
    payment = charge_session(engine, sid, Decimal("3.66"), "EUR", "wallet")
    assert len(payment["attempts"]) == 3 and payment["failure_reason"] == "Processing Error"


def test_post_pay_methods_leave_an_unsettled_amount_and_free_sessions_capture_nothing(engine):
    sid = _session(engine)
    payment = charge_session(engine, sid, Decimal("5.00"), "EUR", "rfid_account")
    assert payment["status"] == "invoiced" and payment["unsettled_amount"] == "5.00"
    assert charge_session(engine, sid, Decimal("5.00"), "EUR", "card") == payment  # once per session
    sid2 = Ledger(engine).open_session(SessionRef("p2", "ACME"), T0)[0]
    free = charge_session(engine, sid2, Decimal("0"), "EUR", "card")
    assert free["method"] == "free" and free["status"] == "captured" and free["attempts"] == []


@pytest.mark.parametrize("last4, reason", [("0069", "Expired Card"), ("0119", "Expired Authorization"),
                                           ("0127", "Invalid Card Data"), ("9979", "Stolen or Lost Card"),
                                           ("0100", "Fraudulent or Blocked Card"),
                                           ("0341", "General Decline by Bank"), ("0000", "OTHER")])
def test_every_seed_failure_reason_has_a_trigger(last4, reason):
    result = SimulatedGateway().capture(1, Decimal("10.00"), "EUR", last4, 1)
    assert not result.ok and result.reason == FailureReason(reason)


def test_amount_below_the_gateway_minimum_is_an_invalid_amount():
    assert SimulatedGateway().capture(1, Decimal("0.49"), "EUR", None, 1).reason == FailureReason.INVALID_AMOUNT
    assert {r.value for r in FailureReason} == {
        "OTHER", "Insufficient Funds", "Expired Card", "Expired Authorization", "Invalid Card Data", "Invalid Amount",
        "Stolen or Lost Card", "Fraudulent or Blocked Card", "General Decline by Bank", "Processing Error",
        "Temporary Error"}
