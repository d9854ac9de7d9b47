"""Whatever happens to a session's money (a card captured or refused, an invoice, refunds in part or whole, a
re-pricing up or down), the statement's money taken per currency is the ledger's captures − refunds to the cent."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import func, select

from chargeledger.payments.adjustments import adjust_payment
from chargeledger.payments.refunds import RefundRefused, refund
from chargeledger.payments.store import charge_session, payments_of
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.storage.tables import organisations, payments, refunds, sessions

from tests.reports.test_statement_money import _decimal
from tests.reports.world import UTC, operator_world, record_session, settle

CENTS = st.integers(min_value=1, max_value=5_000).map(lambda c: Decimal(c).scaleb(-2))
SESSION = st.fixed_dictionaries({
    "total": CENTS,
    "method": st.sampled_from(["card", "card-refused", "roaming_invoice", "prepaid"]),
    "refunds": st.lists(st.integers(min_value=1, max_value=100), max_size=2),  # percent of what is left
    "repriced": st.one_of(st.none(), CENTS),
})
_keys = itertools.count()


def _ledger(engine) -> dict[str, Decimal]:
    with engine.connect() as conn:
        captured = {c: v for c, v in conn.execute(select(payments.c.currency, func.sum(payments.c.amount_captured))
                                                   .join(sessions, sessions.c.id == payments.c.session_id)
                                                   .where(sessions.c.organisation_id == "ACME")
                                                   .group_by(payments.c.currency))}
        refunded = {c: v for c, v in conn.execute(select(refunds.c.currency, func.sum(refunds.c.amount))
                                                   .join(sessions, sessions.c.id == refunds.c.session_id)
                                                   .where(sessions.c.organisation_id == "ACME",
                                                          refunds.c.status == "succeeded")
                                                   .group_by(refunds.c.currency))}
    return {c: Decimal(str(captured.get(c) or 0)) - Decimal(str(refunded.get(c) or 0))
            for c in set(captured) | set(refunded)}


def _play(engine, spec: dict) -> None:
    n = next(_keys)
    start = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=n)
    sid = record_session(engine, f"p-{n}", start, 30, 4_000)
    total = spec["total"]
    settle(engine, sid, str(total))
    method = {"card-refused": "card"}.get(spec["method"], spec["method"])
    card = "0002" if spec["method"] == "card-refused" else "4242"
    charge_session(engine, sid, total, "EUR", method=method, card_last4=card, prepaid_plan="Plan" if
                   method == "prepaid" else None, now=start + timedelta(hours=1))
    for number, percent in enumerate(spec["refunds"]):
        left = Decimal(payments_of(engine, sid)[0]["refundable"])
        amount = (left * percent / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        try:
            refund(engine, sid, str(amount), "EUR", "goodwill", f"p-{n}-r{number}", "desk",
                   now=start + timedelta(days=2, minutes=number))
        except RefundRefused:  # the simulated gateway refuses some amounts: nothing refunded, still reconciles
            pass
    if spec["repriced"] is not None and spec["repriced"] != total:
        settle(engine, sid, str(spec["repriced"]), version=2)
        adjust_payment(engine, sid, total, spec["repriced"], key=f"{sid}:v2", now=start + timedelta(days=3))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SESSION, min_size=1, max_size=5))
# a re-pricing whose refund the gateway refuses (0.66), and one whose excess was given back already
@example([{"total": Decimal("10.00"), "method": "card", "refunds": [], "repriced": Decimal("9.34")},
          {"total": Decimal("10.00"), "method": "card", "refunds": [100], "repriced": Decimal("6.00")}])
def test_statement_money_taken_is_captures_minus_refunds(engine, tmp_path, specs):
    with engine.connect() as conn:
        if conn.execute(select(organisations.c.id).where(organisations.c.id == "ACME")).first() is None:
            operator_world(engine)
    for spec in specs:
        _play(engine, spec)
    request = build_request(engine, "statement", "2024-01-01", "2025-01-01", operator_caller(engine), ["ACME"],
                            known_reports=REPORTS, time_zone="UTC")
    target = tmp_path / f"statement-{next(_keys)}.csv"
    write_report(engine, request, "csv", target)
    from tests.reports.test_report_files import read_csv
    table = read_csv(target)
    taken: dict[str, Decimal] = {}
    for line in table[1:]:
        row = dict(zip(table[0], line))
        amount = _decimal(row["Payment Total"]) - _decimal(row["Unsettled Amount"])
        taken[row["Display Currency"]] = taken.get(row["Display Currency"], Decimal(0)) + amount
    ledger = _ledger(engine)
    assert {c: v for c, v in taken.items() if v} == {c: v for c, v in ledger.items() if v}
