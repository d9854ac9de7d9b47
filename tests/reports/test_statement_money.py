"""The statement as an accountant reads it: refunds and re-pricings as rows dated when they happened, Net Revenue
Received counting only money taken, and the file's money reconciling with the payments ledger per currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from chargeledger.payments.adjustments import adjust_payment
from chargeledger.payments.refunds import refund
from chargeledger.payments.store import charge_session
from chargeledger.storage.tables import payments, payout_accounts, refunds, sessions

from tests.reports.test_report_files import read_csv, request, world  # noqa: F401 - the fixture
from tests.reports.world import UTC, record_session, settle
from chargeledger.reports.run import write_report

MONEY = ("Payment Total", "Unsettled Amount")


def _decimal(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _taken(engine, organisation: str) -> dict[str, Decimal]:
    """Captures − succeeded refunds per currency, from the payments ledger."""
    with engine.connect() as conn:
        captured = dict(conn.execute(
            select(payments.c.currency, func.sum(payments.c.amount_captured))
            .join(sessions, sessions.c.id == payments.c.session_id)
            .where(sessions.c.organisation_id == organisation).group_by(payments.c.currency)).all())
        refunded = dict(conn.execute(
            select(refunds.c.currency, func.sum(refunds.c.amount))
            .join(sessions, sessions.c.id == refunds.c.session_id)
            .where(sessions.c.organisation_id == organisation, refunds.c.status == "succeeded")
            .group_by(refunds.c.currency)).all())
    return {cur: Decimal(str(captured.get(cur) or 0)) - Decimal(str(refunded.get(cur) or 0))
            for cur in set(captured) | set(refunded)}


def _money_world(engine, world):
    with engine.begin() as conn:
        conn.execute(payout_accounts.insert().values(organisation_id="ACME", bank_account="NL91ABNA0417164300",
                                                     automatic_transfer=True))
    charge_session(engine, world["own"], Decimal("3.63"), "EUR", method="card", card_last4="4242")
    refund(engine, world["own"], "1.37", "EUR", "goodwill", "r-own-1", "desk", now=datetime(2024, 3, 20, 9,
                                                                                            tzinfo=UTC))
    charge_session(engine, world["hub"], Decimal("6.05"), "EUR", method="roaming_invoice")  # invoiced, unpaid
    charge_session(engine, world["ocpi"], Decimal("1.2345"), "EUR", method="card", card_last4="0002")  # fails
    # re-priced up: the extra capture is taken
    charge_session(engine, world["dst"], Decimal("1.00"), "EUR", method="card", card_last4="4242")
    settle(engine, world["dst"], "1.60", vat="9", version=2)
    adjust_payment(engine, world["dst"], Decimal("1.00"), Decimal("1.60"), key=f"{world['dst']}:v2",
                   now=datetime(2024, 3, 31, 12, tzinfo=UTC))
    # re-priced down: the excess is refunded by the re-pricing
    down = record_session(engine, "own-down", datetime(2024, 3, 12, 8, tzinfo=UTC), 30, 4_000)
    settle(engine, down, "5.00")
    charge_session(engine, down, Decimal("5.00"), "EUR", method="card", card_last4="4242")
    settle(engine, down, "4.00", version=2)
    adjust_payment(engine, down, Decimal("5.00"), Decimal("4.00"), key=f"{down}:v2",
                   now=datetime(2024, 3, 22, 12, tzinfo=UTC))
    return down


def test_refunds_repricings_and_net_revenue_received_reconcile_with_the_ledger(engine, world, tmp_path):
    down = _money_world(engine, world)
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"statement.{fmt}"
        write_report(engine, request(engine, "statement", organisation_ids=["ACME"], time_zone="UTC"), fmt, target)
    table = read_csv(tmp_path / "statement.csv")
    rows = [dict(zip(table[0], line)) for line in table[1:]]
    sessions_rows = [r for r in rows if r["Completion Status"] not in ("Refund", "Re-priced")]
    moves = [r for r in rows if r["Completion Status"] in ("Refund", "Re-priced")]
    by_id = {r["Session ID"]: r for r in sessions_rows}

    # a refund is its own row, dated when it was made, after the sessions; re-pricings too, without an amount
    assert [(m["Completion Status"], m["Session ID"], m["Session Date"]) for m in moves] == [
        ("Refund", str(world["own"]), "2024-03-20"), ("Re-priced", str(down), "2024-03-22"),
        ("Re-priced", str(world["dst"]), "2024-03-31")]
    refunded, lower, higher = moves
    assert refunded["Payment Total"] == "-1.37" and refunded["Note"] == "refund 1.37 EUR: goodwill"
    assert refunded["Net Revenue Received (Incl. Tax)"] == "-1.48"  # 1.37 × 1.08, in the settlement currency
    assert refunded["Energy Delivered (kWh)"] == "" and refunded["Site"] == by_id[str(world["own"])]["Site"]
    assert higher["Payment Total"] == "" and "re-priced from 1.00 to 1.60: extra capture 0.60" in higher["Note"]
    assert lower["Payment Total"] == "" and "re-priced from 5.00 to 4.00: refund 1.00" in lower["Note"]
    assert by_id[str(world["dst"])]["Payment Total"] == "1.60" and by_id[str(down)]["Payment Total"] == "4.00"

    # Net Revenue Received: only what was taken
    assert by_id[str(world["hub"])]["Net Revenue Received (Incl. Tax)"] == "0.00"  # invoiced, not paid
    assert by_id[str(world["ocpi"])]["Net Revenue Received (Incl. Tax)"] == "0.00"  # the card failed
    assert by_id[str(world["unpriced"])]["Net Revenue Received (Incl. Tax)"] == ""  # nothing settled
    own = by_id[str(world["own"])]
    assert own["Net Revenue Received (Incl. Tax)"] == str(Decimal("1.00") + Decimal(own["Total Tax Owed"]))

    # money taken in the file (Payment Total − Unsettled Amount, refund rows included) = captures − refunds
    taken: dict[str, Decimal] = {}
    for row in rows:
        amount = _decimal(row["Payment Total"]) - _decimal(row["Unsettled Amount"])
        taken[row["Display Currency"]] = taken.get(row["Display Currency"], Decimal(0)) + amount
    ledger = _taken(engine, "ACME")
    assert {cur: value for cur, value in taken.items() if value} == {cur: v for cur, v in ledger.items() if v}
    assert ledger == {"EUR": Decimal("3.63") - Decimal("1.37") + Decimal("1.60") + Decimal("5.00")
                      - Decimal("1.00")}

    import openpyxl
    sheet = openpyxl.load_workbook(tmp_path / "statement.xlsx").active
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == len(table)
    header = list(lines[0])
    assert [line[header.index("Completion Status")] for line in lines[-3:]] == ["Refund", "Re-priced", "Re-priced"]
    assert lines[-3][header.index("Payment Total")] == -1.37
