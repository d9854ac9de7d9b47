"""For every report, random sessions rendered both ways (the pipeline's CSV and the test oracle,
tests/reports/oracle.py) agree cell by cell: texts a spreadsheet would run or a CSV must quote, signed zeros and sub-cent money, JSON
summaries with and without roaming and identity, open sessions, free and failed payments, refunds, and callers
with and without the finance right, in several zones."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from sqlalchemy import delete, insert, update

from chargeledger.access.rights import Caller, Right
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.storage.tables import payments, refunds, session_settlements, sessions, stations

from tests.reports import oracle
from tests.reports.world import operator_world

UTC = timezone.utc
COMPARED = {"cells": 0, "examples": 0}  # read by the closing note's count (pytest -s prints it)

texts = st.one_of(st.none(), st.sampled_from(["", "-", "=1+1", "+31 6", "@cmd", "\tx", "a,b", 'say "hi"',
                                              "two\r\nlines", "José", "Girève – Z"]),
                  st.text(st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_categories=("Cs",)),
                          max_size=12))
amounts = st.one_of(st.none(), st.just(Decimal("-0")), st.decimals(-1000, 1000, places=6))
rates = st.one_of(st.none(), st.decimals(Decimal("-2"), Decimal("5"), places=8))
moments = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31), timezones=st.just(UTC))
seconds = st.one_of(st.integers(0, 200_000), st.floats(0, 200_000, allow_nan=False))
partner = st.fixed_dictionaries({}, optional={"provider_id": texts, "roaming_cdr_id": texts,
                                              "operator_id": texts, "partner_transaction_id": texts})
summaries = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "charging_seconds": seconds, "plug_seconds": seconds, "start_source": texts, "start_source_raw": texts,
    "stop_reason": texts, "failure_reason": texts, "roaming": st.one_of(st.just({}), partner),
    "identity": st.fixed_dictionaries({}, optional={"id_token": texts, "contract_id": texts}),
    "meter_start_wh": st.integers(0, 10**7), "meter_stop_wh": st.floats(0, 1e7, allow_nan=False)}))
taxes = st.one_of(st.none(), st.lists(st.fixed_dictionaries({
    "jurisdiction": st.sampled_from(["State", "City"]), "name": st.sampled_from(["", "California", "Boston"]),
    "amount": st.decimals(-10, 10, places=2).map(str)}), max_size=2,
    unique_by=lambda t: t["name"] or t["jurisdiction"]))
settlements = st.one_of(st.none(), st.fixed_dictionaries({
    "currency": st.sampled_from(["EUR", "USD", ""]), "connection_fee": amounts, "session_fee": amounts,
    "subtotal": amounts, "total_tax": amounts, "payment_total": amounts, "revenue": amounts, "excise_tax": amounts,
    "vat_rate": amounts, "exchange_rate": rates, "revenue_settlement": amounts,
    "settlement_currency": st.sampled_from([None, "USD"]), "taxes_inclusive": st.sampled_from([None, True, False]),
    "taxes": taxes, "discount_plan_name": texts, "bill_details": st.one_of(
        st.none(), st.just({}),
        st.fixed_dictionaries({"cost": st.decimals(0, 100, places=2).map(str), "note": texts.map(str)}))}))
paid = st.one_of(st.none(), st.fixed_dictionaries({
    "method": st.sampled_from(["card", "free", "app"]), "gateway": texts.map(str),
    "preauth_amount": amounts, "prepaid_plan": texts, "unsettled_amount": st.decimals(-1, 50, places=6),
    "failure_reason": texts, "refund": st.one_of(st.none(), st.decimals(Decimal("0.01"), 50, places=2))}))
one_session = st.fixed_dictionaries({
    "start": moments, "length": st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=2))),
    "energy": st.one_of(st.none(), st.floats(-10, 1e8, allow_nan=False)), "summary": summaries,
    "status": st.sampled_from(["Completed", "Failed", "=x"]), "network": st.sampled_from([None, "OCPI", "Hubject"]),
    "other": st.booleans(), "driver": texts, "settlement": settlements, "payment": paid})
worlds = st.fixed_dictionaries({"sessions": st.lists(one_session, min_size=1, max_size=8),
                                "zone": st.sampled_from(["Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]),
                                "billing_profile": st.sampled_from([None, {}, {"name": "fleet"}])})


def _store(engine, world) -> None:
    with engine.begin() as conn:
        for table in (refunds, payments, session_settlements, sessions):
            conn.execute(delete(table))
        conn.execute(update(stations).values(billing_profile=world["billing_profile"],
                                             note='Bay 2, "left"\r\nnext to the gate'))
        for i, given in enumerate(world["sessions"], start=1):
            org, station, evse = ("OTHER", "OT-1", "US*OTH*EOT1*1") if given["other"] else \
                ("ACME", "CP-1", "NL*ACM*ECP1*1")
            start = given["start"]
            conn.execute(insert(sessions).values(
                id=i, external_key=f"k{i}", organisation_id=org, site_id=f"{org}-SITE", station_id=station,
                evse_id=evse, connector_id=1, transaction_id=str(i), status=given["status"], started_at=start,
                stopped_at=None if given["length"] is None else start + given["length"], energy_wh=given["energy"],
                id_token="04AA", driver_id=given["driver"], network=given["network"], simulated=False,
                summary=given["summary"], created_at=start - timedelta(minutes=i % 3)))
            money = given["settlement"]
            if money is not None:
                conn.execute(insert(session_settlements).values(session_id=i, version=1, current=True,
                                                                settled_at=start + timedelta(hours=1), **money))
            pay = given["payment"]
            if pay is not None:
                refund = pay.pop("refund")
                payment_id = conn.execute(insert(payments).values(
                    session_id=i, currency="EUR", amount_due=Decimal("1"), status="captured", created_at=start,
                    **pay)).inserted_primary_key[0]
                pay["refund"] = refund
                if refund is not None:
                    conn.execute(insert(refunds).values(
                        payment_id=payment_id, session_id=i, amount=refund, currency="EUR", reason="=bad",
                        idempotency_key=f"r{i}", status="succeeded", created_at=start + timedelta(hours=2)))


def _read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


# no shrinking: each example writes four reports (a second each on a busy machine), and the failure names its cell
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(world=worlds)
def test_random_sessions_render_the_same_both_ways(engine, tmp_path, world):
    if not COMPARED.get(id(engine)):  # the operator's organisations, stations and payout account, once
        operator_world(engine)
        from chargeledger.storage.tables import payout_accounts
        with engine.begin() as conn:
            conn.execute(insert(payout_accounts).values(organisation_id="ACME", bank_account="=NL91ABNA0417164300",
                                                        automatic_transfer=True))
        COMPARED[id(engine)] = 1
    _store(engine, world)
    zone = world["zone"]
    no_finance = Caller(9, "no-finance@example.com", frozenset({Right.REPORTS}), frozenset({"ACME", "OTHER"}), zone)
    for name, caller in [(name, operator_caller(engine)) for name in REPORTS] + [("statement", no_finance)]:
        request = build_request(engine, name, "2024-01-01", "2025-01-02", caller, time_zone=zone,
                                known_reports=REPORTS)
        target = tmp_path / f"{name}.csv"
        write_report(engine, request, "csv", target)
        COMPARED["cells"] += oracle.same_cells(oracle.render(engine, request), _read(target))
    COMPARED["examples"] += 1
