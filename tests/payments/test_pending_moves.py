"""A refund cut short or refused: a refused one answers an error and changes nothing; one left pending by a
crash between the reservation and the gateway's answer is finished by the replay of its key, exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from chargeledger.payments import refunds as refunds_module
from chargeledger.payments.refunds import RefundRefused, refund
from chargeledger.payments.store import payments_of
from chargeledger.storage.tables import refunds, session_events
from tests.payments.test_refunds_api import _refund, _setup


def _ledger_refunds(engine, sid):
    with engine.connect() as conn:
        return conn.execute(select(session_events.c.payload).where(
            session_events.c.session_id == sid, session_events.c.kind == "refund_recorded")).all()


def test_a_gateway_refusal_answers_502_and_leaves_the_refundable_amount(engine):
    sid, client, auth = _setup(engine)
    refused = _refund(client, auth, sid, "1.66", "declined")  # the simulated gateway refuses amounts ending .66
    assert refused.status_code == 502 and "nothing was refunded" in refused.json()["detail"]
    assert _refund(client, auth, sid, "1.66", "declined").status_code == 502  # the replay gets the same answer
    payment = payments_of(engine, sid)[0]
    assert payment["refundable"] == "6.53" and payment["refunded"] == "0"
    assert _refund(client, auth, sid, "6.53", "whole").status_code == 201


def test_a_refund_cut_short_is_finished_once_by_its_replay(engine, monkeypatch):
    sid, _client, _auth = _setup(engine)

    def crash(*_args, **_kwargs):
        raise SystemExit("killed between the reservation and the gateway")

    monkeypatch.setattr(refunds_module, "_complete", crash)
    with pytest.raises(SystemExit):
        refund(engine, sid, "2.00", "EUR", "fault", "cut-short", "ops@acme.example")
    monkeypatch.undo()
    assert payments_of(engine, sid)[0]["refundable"] == "4.53"  # reserved while pending: nobody can take it twice
    with pytest.raises(RefundRefused):
        refund(engine, sid, "4.54", "EUR", "fault", "too-much", "ops@acme.example")
    answer, created = refund(engine, sid, "2.00", "EUR", "fault", "cut-short", "ops@acme.example")
    assert not created and answer["status"] == "succeeded"
    again, _ = refund(engine, sid, "2.00", "EUR", "fault", "cut-short", "ops@acme.example")
    assert again == answer
    with engine.connect() as conn:
        assert conn.execute(select(refunds.c.status).where(refunds.c.session_id == sid)).scalars().all() == [
            "succeeded"]
    assert len(_ledger_refunds(engine, sid)) == 1
    assert Decimal(payments_of(engine, sid)[0]["refundable"]) == Decimal("4.53")
