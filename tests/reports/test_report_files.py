"""Reports written to real files and read back with real parsers: headers, rows, money reconciliation, zones."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, true, update

from chargeledger.access.rights import Caller, Right
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.reports.catalogue import REPORTS
from chargeledger.payments.store import charge_session
from chargeledger.storage.tables import payout_accounts, session_settlements, stations

from tests.reports import seed_headers
from tests.reports.world import UTC, operator_world, record_session, settle

MARCH = ("2024-03-01", "2024-04-01")


def read_csv(path):
    assert open(path, "rb").read(3) == b"\xef\xbb\xbf"  # the BOM Excel needs to read UTF-8
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def request(engine, report, caller=None, **kw):
    caller = caller or operator_caller(engine)
    return build_request(engine, report, kw.pop("start", MARCH[0]), kw.pop("end", MARCH[1]), caller,
                         known_reports=REPORTS, **kw)


@pytest.fixture
def world(engine):
    operator_world(engine)
    own = record_session(engine, "own-1", datetime(2024, 3, 5, 8, tzinfo=UTC), 90, 12_345)
    hub = record_session(engine, "hub-1", datetime(2024, 3, 6, 22, 30, tzinfo=UTC), 120, 20_000,
                         network="Hubject", start_source="app")
    ocpi = record_session(engine, "ocpi-1", datetime(2024, 3, 7, 9, tzinfo=UTC), 30, 5_500, network="OCPI")
    failed = record_session(engine, "gir-1", datetime(2024, 3, 8, 9, tzinfo=UTC), 5, 0, network="Girève",
                            failed=True)
    unpriced = record_session(engine, "hub-2", datetime(2024, 3, 9, 9, tzinfo=UTC), 60, 7_000, network="Hubject")
    # across the DST change in Europe/Amsterdam and New York's evening
    dst = record_session(engine, "own-dst", datetime(2024, 3, 31, 0, 30, tzinfo=UTC), 60, 3_000)
    elsewhere = record_session(engine, "other-1", datetime(2024, 3, 5, 8, tzinfo=UTC), 60, 3_000, station="OT-1",
                               network="OCPI")
    outside = record_session(engine, "own-april", datetime(2024, 4, 2, 8, tzinfo=UTC), 60, 3_000, network="OCPI")
    settle(engine, own, "3.63", taxes=[{"jurisdiction": "State", "rate": "0.06", "amount": "0.20"},
                                       {"jurisdiction": "City", "rate": "0.01", "amount": "0.03"}])
    settle(engine, hub, "6.05")
    settle(engine, ocpi, "1.2345", taxes=[{"jurisdiction": "State", "rate": "0.06", "amount": "0.07"}])
    settle(engine, failed, "0.00")
    settle(engine, dst, "1.00", vat="9")
    settle(engine, elsewhere, "9.99", currency="USD")
    settle(engine, outside, "2.00")
    return dict(own=own, hub=hub, ocpi=ocpi, failed=failed, unpriced=unpriced, dst=dst)


def ledger_total(engine, column, session_ids):
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.sum(column), 0)).where(
            session_settlements.c.current == true(), session_settlements.c.session_id.in_(session_ids))).scalar()


def test_roaming_sessions_csv_reconciles_with_the_ledger(engine, world, tmp_path):
    target = tmp_path / "roaming.csv"
    written = write_report(engine, request(engine, "roaming-sessions", organisation_ids=["ACME"]), "csv", target)
    table = read_csv(target)
    assert table[0] == seed_headers.ROAMING_SESSIONS
    body = [dict(zip(table[0], line)) for line in table[1:]]
    roamed = [world["hub"], world["ocpi"], world["failed"], world["unpriced"]]
    assert written == len(body) == len(roamed)
    assert [b["Network"] for b in body] == ["Hubject", "OCPI", "Girève", "Hubject"]
    prices = sum(Decimal(b["Price"]) for b in body if b["Price"])
    assert prices == ledger_total(engine, session_settlements.c.payment_total, roamed)  # the invoice
    vat = sum(Decimal(b["VAT amount"]) for b in body if b["VAT amount"])
    assert vat == ledger_total(engine, session_settlements.c.total_tax, roamed)
    failed = next(b for b in body if b["Network"] == "Girève")
    assert failed["Transaction ID"] == ""
    unpriced = body[3]
    assert unpriced["Price"] == "" and unpriced["VAT amount"] == ""  # no settlement: empty, never invented
    hub = body[0]
    assert hub["Transaction ID"] == "PT-hub-1" and hub["Provider ID"] == "NL-EFL" and hub["Charge method"] == "app"
    assert hub["Start time"] == "2024-03-06T23:30:00+0100"  # the station's zone, with its offset
    assert hub["Duration"] == "02:00:00" and hub["Energy (Wh)"] == "20000" and hub["Currency"] == "EUR"
    assert hub["Meter start"] == "1000" and hub["Meter stop"] == "21000" and hub["Free usage"] == "No"
    assert hub["VAT rate"] == "21.00" and hub["Plug type"] == "AC" and hub["Month"] == "2024-03"


def test_free_usage_and_initiator_are_the_sessions_facts_not_todays_settings(engine, world, tmp_path):
    charge_session(engine, world["hub"], Decimal("6.05"), "EUR", method="card", card_last4="4242")
    charge_session(engine, world["unpriced"], Decimal("0"), "EUR")  # nothing to pay: taken free
    with engine.begin() as conn:  # the station is made free afterwards: past sessions stay as they were
        conn.execute(update(stations).where(stations.c.id == "CP-1").values(free_usage=True))
    target = tmp_path / "hub.csv"
    write_report(engine, request(engine, "roaming-sessions", network="Hubject"), "csv", target)
    body = read_csv(target)[1:]
    assert len(body) == 2 and {line[1] for line in body} == {"Hubject"}
    assert [line[14] for line in body] == ["No", "Yes"]
    write_report(engine, request(engine, "sessions", organisation_ids=["ACME"]), "csv", tmp_path / "s.csv")
    initiators = {line[5]: line[3] for line in read_csv(tmp_path / "s.csv")[1:]}
    assert initiators["2024-03-06 22:30:00+0000"] == "NL-EFL"  # the paid session keeps its initiator
    assert initiators["2024-03-09 09:00:00+0000"] == ""  # the free one has none, as the seed says
    assert initiators["2024-03-05 08:00:00+0000"] == "ACME Charging"


def test_statement_csv_for_a_viewer_in_another_zone(engine, world, tmp_path):
    target = tmp_path / "statement.csv"
    write_report(engine, request(engine, "statement", organisation_ids=["ACME"], time_zone="America/New_York"),
                 "csv", target)
    table = read_csv(target)
    assert table[0] == seed_headers.statement(["State", "City"])
    body = {line[1]: dict(zip(table[0], line)) for line in table[1:]}
    assert len(body) == 6
    hub = body[str(world["hub"])]  # 22:30 UTC is 17:30 in New York (EST, before the 10 March change)
    assert hub["Session Start Time"] == "2024-03-06-17:30-0500"  # each time carries its offset
    assert hub["Session End Time"] == "2024-03-06-19:30-0500"
    assert hub["Session Duration (hh:mm:ss)"] == "02:00:00" and hub["Session Duration (Min)"] == "120.00"
    dst = body[str(world["dst"])]  # 00:30 UTC on 31 March: 20:30 the day before in New York (EDT)
    assert dst["Session Date"] == "2024-03-30" and dst["Session Start Time"] == "2024-03-30-20:30-0400"
    assert dst["Time Zone"] == "America/New_York"  # the zone of the times in this file, not the site's
    own = body[str(world["own"])]
    assert own["Tax – State"] == "0.20" and own["Tax – City"] == "0.03" and own["Net Revenue Recipient (Incl. Tax)"] == "-"
    assert own["Energy Delivered (kWh)"] == "12.345" and own["Charging Type"] == "AC22kW"
    totals = sum(Decimal(b["Payment Total"]) for b in body.values() if b["Payment Total"])
    ids = [int(k) for k in body]
    assert totals == ledger_total(engine, session_settlements.c.payment_total, ids)
    revenue = sum(Decimal(b["My Revenue"]) for b in body.values() if b["My Revenue"])
    assert revenue == ledger_total(engine, session_settlements.c.revenue, ids)
    assert body[str(world["unpriced"])]["Payment Total"] == ""


def test_statement_across_midnight_and_dst_for_a_site_viewer(engine, world, tmp_path):
    target = tmp_path / "statement.csv"
    write_report(engine, request(engine, "statement", time_zone="Europe/Amsterdam",
                                 start="2024-03-30", end="2024-04-01"), "csv", target)
    table = read_csv(target)
    row = dict(zip(table[0], table[1]))
    # 00:30 UTC = 01:30 CET; one hour later is 03:30 CEST (the clocks jumped), still one hour long
    assert row["Session Start Time"] == "2024-03-31-01:30+0100"
    assert row["Session End Time"] == "2024-03-31-03:30+0200"
    assert row["Session Duration (Min)"] == "60.00"


def test_statement_without_finance_right_drops_revenue_columns(engine, world, tmp_path):
    with engine.begin() as conn:
        conn.execute(payout_accounts.insert().values(organisation_id="ACME", bank_account="NL91ABNA0417164300",
                                                     automatic_transfer=True))
    clerk = Caller(1, "clerk@acme", frozenset({Right.REPORTS}), frozenset({"ACME"}), "Europe/Amsterdam")
    target = tmp_path / "clerk.csv"
    write_report(engine, request(engine, "statement", clerk), "csv", target)
    header = read_csv(target)[0]
    assert header == seed_headers.statement(["State", "City"], finance=False)
    finance = Caller(2, "cfo@acme", frozenset({Right.REPORTS, Right.FINANCE}), frozenset({"ACME"}), "UTC")
    write_report(engine, request(engine, "statement", finance), "csv", target)
    table = read_csv(target)
    own = next(dict(zip(table[0], r)) for r in table[1:] if r[1] == str(world["own"]))
    assert own["Net Revenue Recipient (Incl. Tax)"] == "…64300"


def test_sessions_xlsx_has_typed_cells_and_bill_details_only_with_a_billing_profile(engine, world, tmp_path):
    bill = {"lines": [{"label": "energy", "amount": "3.00"}], "total": "3.63"}
    with engine.begin() as conn:
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == world["own"])
                     .values(bill_details=bill))
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == world["hub"])
                     .values(bill_details=bill))
        conn.execute(update(stations).where(stations.c.id == "CP-1").values(
            billing_profile={"name": "standard"}, name="=HYPERLINK(\"http://evil\")"))
    target = tmp_path / "sessions.xlsx"
    write_report(engine, request(engine, "sessions", organisation_ids=["ACME"], time_zone="UTC"), "xlsx", target)
    book = openpyxl.load_workbook(target)
    sheet = book.active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == seed_headers.SESSIONS
    # the header row is the seed's, so the zone is stated in the file's properties and printed header
    assert book.custom_doc_props["Time zone"].value == "UTC" and book.properties.description == "Times in UTC"
    assert sheet.oddHeader.left.text == "Times in UTC"
    body = [dict(zip(lines[0], line)) for line in lines[1:]]
    assert len(body) == 6
    first = body[0]
    assert first["Name"] == "'=HYPERLINK(\"http://evil\")"  # neutralised text
    assert isinstance(first["Start"], datetime) and first["Start"] == datetime(2024, 3, 5, 8, 0)
    assert isinstance(first["Energy"], float) and first["Energy"] == pytest.approx(12.345)
    assert first["Cost"] == pytest.approx(3.63) and "EUR" in sheet.cell(2, 10).number_format
    assert json.loads(first["Bill Details"]) == bill
    assert first["Plug Duration"] == timedelta(minutes=90)  # a real duration cell
    # no billing profile on the station of an unpriced session: no bill object
    assert body[-1]["Bill Details"] is None
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == "CP-1").values(billing_profile=None))
    write_report(engine, request(engine, "sessions", organisation_ids=["ACME"]), "csv", tmp_path / "s.csv")
    table = read_csv(tmp_path / "s.csv")
    assert {line[10] for line in table[1:]} == {""}
    assert table[1][5] == "2024-03-05 08:00:00+0000"  # a CSV time carries its offset


def test_negative_money_stays_a_number_while_minus_text_is_neutralised(engine, world, tmp_path):
    with engine.begin() as conn:
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == world["own"])
                     .values(payment_total=Decimal("-1.50")))
        conn.execute(update(stations).where(stations.c.id == "CP-1").values(sticker_id="-2+3", serial_number="@SUM"))
    target = tmp_path / "s.xlsx"
    write_report(engine, request(engine, "sessions", organisation_ids=["ACME"]), "xlsx", target)
    row = list(openpyxl.load_workbook(target).active.iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert row[1] == "'-2+3" and row[2] == "'@SUM" and row[9] == -1.5
    write_report(engine, request(engine, "sessions", organisation_ids=["ACME"]), "csv", tmp_path / "s.csv")
    line = read_csv(tmp_path / "s.csv")[1]
    assert line[1] == "'-2+3" and line[9] == "-1.50"


@pytest.mark.parametrize("kw, reason", [
    (dict(start="2024-04-01", end="2024-03-01"), "time frame is empty"),
    (dict(start="2024-03-01", end="2024-03-01"), "time frame is empty"),
    (dict(organisation_ids=["NOPE"]), "unknown organisation"),
    (dict(time_zone="Mars/Olympus"), "unknown time zone"),
    (dict(start="yesterday"), "is not a date"),
])
def test_bad_asks_are_refused_with_a_reason(engine, world, kw, reason):
    with pytest.raises(ReportError, match=reason):
        request(engine, "statement", **kw)


def test_access_rules_and_no_file_on_refusal(engine, world, tmp_path):
    with pytest.raises(ReportError, match="unknown report"):
        request(engine, "revenue-magic")
    reports_only = Caller(1, "r@acme", frozenset({Right.REPORTS}), frozenset({"ACME"}), "UTC")
    with pytest.raises(ReportError, match="outside your organisations"):
        request(engine, "statement", reports_only, organisation_ids=["OTHER"])
    out = tmp_path / "out"
    out.mkdir()
    target = out / "roaming.csv"
    with pytest.raises(ReportError, match="stations right"):
        write_report(engine, request(engine, "roaming-sessions", reports_only), "csv", target)
    assert list(out.iterdir()) == []  # no file, not even a partial one
    both = Caller(1, "r@acme", frozenset({Right.REPORTS, Right.STATIONS}), frozenset({"ACME"}), "UTC")
    assert write_report(engine, request(engine, "roaming-sessions", both), "csv", target) == 4


def test_days_are_local_midnights_in_the_report_zone(engine, world, tmp_path):
    # 23:30 on 31 March in Los Angeles is 06:30 UTC on 1 April; 23:00 on 29 February there is 07:00 UTC on 1 March
    late = record_session(engine, "la-late", datetime(2024, 4, 1, 6, 30, tzinfo=UTC), 20, 1_000)
    early = record_session(engine, "la-early", datetime(2024, 3, 1, 7, tzinfo=UTC), 20, 1_000)
    asked = request(engine, "statement", time_zone="America/Los_Angeles")
    assert asked.start == datetime(2024, 3, 1, 8, tzinfo=UTC) and asked.end == datetime(2024, 4, 1, 7, tzinfo=UTC)
    target = tmp_path / "la.csv"
    write_report(engine, asked, "csv", target)
    ids = {line[1] for line in read_csv(target)[1:]}
    assert str(late) in ids and str(early) not in ids


def test_roaming_price_and_statement_payment_total_agree_by_one_rounding_rule(engine, world, tmp_path):
    # the CDR's total incl. VAT has four decimals; the invoice rounds each line half up to cents
    with engine.begin() as conn:
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == world["hub"])
                     .values(total_cost_incl_vat=Decimal("5.6460"), payment_total=Decimal("5.64"),
                             total_tax=Decimal("0.98")))
    write_report(engine, request(engine, "roaming-sessions"), "csv", tmp_path / "r.csv")
    write_report(engine, request(engine, "statement"), "csv", tmp_path / "s.csv")
    roaming = read_csv(tmp_path / "r.csv")
    roamed = {line[2]: dict(zip(roaming[0], line)) for line in roaming[1:]}
    statement = read_csv(tmp_path / "s.csv")
    paid = {line[statement[0].index("Roaming – CDR ID")]: dict(zip(statement[0], line)) for line in statement[1:]}
    for cdr_id, row in roamed.items():
        if cdr_id in paid:
            assert row["Price"] == paid[cdr_id]["Payment Total"]
            assert row["VAT amount"] == paid[cdr_id]["Total Tax"]
    assert roamed["CDR-hub-1"]["Price"] == "5.64"


def test_bill_details_and_money_exports_need_the_finance_right(engine, world, tmp_path):
    bill = {"cost": {"electricity": "0.80"}, "margin": {"absolute": "2.03"}, "revenue": "2.50"}
    with engine.begin() as conn:
        conn.execute(update(session_settlements).values(bill_details=bill))
        conn.execute(update(stations).values(billing_profile={"name": "standard"}))
    clerk = Caller(1, "clerk@acme", frozenset({Right.REPORTS, Right.STATIONS}), frozenset({"ACME"}), "UTC")
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"clerk.{fmt}"
        write_report(engine, request(engine, "sessions", clerk), fmt, target)
        if fmt == "csv":
            text = target.read_text(encoding="utf-8-sig")
            header = read_csv(target)[0]
        else:
            lines = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
            header, text = list(lines[0]), repr(lines)
        assert header == [c for c in seed_headers.SESSIONS if c != "Bill Details"] and "2.03" not in text
    finance = Caller(2, "cfo@acme", frozenset({Right.REPORTS, Right.FINANCE}), frozenset({"ACME"}), "UTC")
    write_report(engine, request(engine, "sessions", finance), "csv", tmp_path / "cfo.csv")
    table = read_csv(tmp_path / "cfo.csv")
    assert table[0] == seed_headers.SESSIONS and json.loads(table[1][10]) == bill
    from chargeledger.reports.exports import write_export
    for fmt in ("reimbursement", "tariff-distribution"):
        asked = build_request(engine, f"export:{fmt}", *MARCH, clerk)
        with pytest.raises(ReportError, match="finance right"):
            write_export(engine, asked, fmt, tmp_path / f"{fmt}.csv")
