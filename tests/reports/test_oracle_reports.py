"""Every report's CSV from the pipeline agrees cell by cell with the test oracle (tests/reports/oracle.py: SQLAlchemy
rows, each column's Python value function, its text by kind). Hundreds of varied sessions: DST changes and midnights
in several zones, open sessions, signed zeros, repeated and distinct summaries."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert

from chargeledger.access.rights import Caller, Right
from chargeledger.reports import reader
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.storage.tables import payments, payout_accounts, session_settlements, sessions, stations

from tests.reports import oracle
from tests.reports.oracle import same_cells
from tests.reports.world import operator_world

UTC = timezone.utc
COMPARED = {"cells": 0}  # cells held to the oracle (for the closing note)
# around Europe's and New York's 2024 clock changes and midnights in both zones
MOMENTS = [datetime(2024, 3, 31, 0, 0, tzinfo=UTC), datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
           datetime(2024, 10, 27, 0, 30, tzinfo=UTC), datetime(2024, 11, 3, 5, 0, tzinfo=UTC),
           datetime(2024, 6, 30, 21, 45, tzinfo=UTC), datetime(2024, 12, 31, 22, 59, 30, tzinfo=UTC)]
AMOUNTS = [None, Decimal("0"), Decimal("-0"), Decimal("3.63"), Decimal("1.2345"), Decimal("-1.50"),
           Decimal("0.005"), Decimal("12.000001")]


def _money(rnd):
    return rnd.choice(AMOUNTS)


def _fill(engine, count: int) -> None:
    rnd = random.Random(20240331)
    session_rows, settlement_rows, payment_rows = [], [], []
    for i in range(count):
        start = rnd.choice(MOMENTS) + timedelta(minutes=rnd.randrange(-150, 150), seconds=rnd.choice([0, 29, 59]),
                                                microseconds=rnd.choice([0, 0, 1, 499_999, 500_000, 999_999]))
        stop = None if i % 17 == 0 else start + timedelta(seconds=rnd.choice([0, 59, 3600, 5399, 90061]),
                                                          microseconds=rnd.choice([0, 0, 1, 500_000, 999_999]))
        summary = rnd.choice([None, {}, {"charging_seconds": 3600.0, "start_source": "RFID"},
                              {"charging_seconds": rnd.randrange(0, 9000) + 0.5, "plug_seconds": 7200,
                               "start_source": "=cmd", "stop_reason": "Local", "failure_reason": None,
                               "roaming": {"provider_id": "NL-EFL", "roaming_cdr_id": f"CDR{i}"}},
                              {"charging_seconds": -0.0, "failure_reason": "-", "roaming": {}}])
        station = "OT-1" if i % 3 == 0 else "CP-1"
        org = "OTHER" if station == "OT-1" else "ACME"
        evse = "US*OTH*EOT1*1" if org == "OTHER" else "NL*ACM*ECP1*1"
        session_rows.append(dict(
            id=i + 1, external_key=f"id-{i}", organisation_id=org, site_id=f"{org}-SITE", station_id=station,
            evse_id=evse, connector_id=rnd.choice([None, 1, 2]), transaction_id=str(i),
            status=rnd.choice(["Completed", "Failed", "-x"]), started_at=start, stopped_at=stop,
            energy_wh=rnd.choice([None, 0.0, -0.0, 12345.0, 0.1 + 0.2, 7000.5]), id_token="04AA",
            driver_id=rnd.choice([None, "+31 6 1234", "driver"]), network=rnd.choice([None, "OCPI", "Hubject"]),
            simulated=False, summary=summary, created_at=start))
        if i % 11 == 5:
            continue  # no settlement: empty money cells
        settlement_rows.append(dict(
            session_id=i + 1, version=1, current=True, settled_at=start + timedelta(hours=rnd.choice([0, 1, 30])),
            currency=rnd.choice(["EUR", "USD"]), connection_fee=_money(rnd), session_fee=_money(rnd),
            subtotal=_money(rnd), total_tax=_money(rnd), payment_total=_money(rnd), revenue=_money(rnd),
            excise_tax=_money(rnd), exchange_rate=rnd.choice([None, Decimal("1.08"), Decimal("0.923456")]),
            revenue_settlement=_money(rnd), settlement_currency=rnd.choice([None, "USD"]),
            taxes_inclusive=rnd.choice([None, True, False]),
            taxes=rnd.choice([None, [], [{"jurisdiction": "State", "amount": "0.63"}],
                              [{"jurisdiction": "City", "amount": "-0.00"}, {"jurisdiction": "State", "amount": 1}],
                              # named places are their own columns; an empty name falls back to the level
                              [{"jurisdiction": "State", "name": "California", "amount": "0.60"},
                               {"jurisdiction": "City", "name": "", "amount": "0.05"}]])))
        if i % 4 == 0:
            payment_rows.append(dict(
                session_id=i + 1, method="card", gateway="=gw", card_last4="4242", currency="EUR",
                preauth_amount=rnd.choice([None, Decimal("50.000000"), Decimal("0")]),
                prepaid_plan=rnd.choice([None, "Plan A"]), amount_due=Decimal("1"), status="captured",
                # nothing, part or all still owed: Net Revenue Received counts only what was taken
                unsettled_amount=rnd.choice([Decimal("0"), Decimal("0.37"), Decimal("1"), Decimal("-0.004")]),
                created_at=start))
    with engine.begin() as conn:
        conn.execute(insert(sessions), session_rows)
        conn.execute(insert(session_settlements), settlement_rows)
        conn.execute(insert(payments), payment_rows)
        conn.execute(insert(payout_accounts), [dict(organisation_id="ACME", bank_account="NL91ABNA0417164300",
                                                    automatic_transfer=True)])
        # texts a CSV must quote: commas, quotes, line breaks
        conn.execute(stations.update().where(stations.c.id == "CP-1")
                     .values(note='Bay 2, "left"\r\nnext to the gate', vendor="A,B"))


def read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "UTC"])
def test_every_report_matches_the_oracle_cell_by_cell(engine, tmp_path, monkeypatch, zone):
    operator_world(engine)
    _fill(engine, 400)
    monkeypatch.setattr(reader, "BATCH_ROWS", 29)  # many small batches: their order must hold
    callers = [operator_caller(engine),
               Caller(9, "no-finance@example.com", frozenset({Right.REPORTS}), frozenset({"ACME", "OTHER"}), zone)]
    for name, caller in [(name, callers[0]) for name in REPORTS] + [("statement", callers[1])]:
        request = build_request(engine, name, "2024-01-01", "2025-02-01", caller, time_zone=zone,
                                known_reports=REPORTS)
        target = tmp_path / f"{name}.csv"
        written = write_report(engine, request, "csv", target)
        table = read(target)
        compared = same_cells(oracle.render(engine, request), table)
        COMPARED["cells"] += compared
        assert compared > 0
        assert written == len(table) - 1 > 50
        if name == "statement":
            starts = table[0].index("Session Start Time")
            assert written == 400 and len({line[starts] for line in table[1:]}) > 100  # varied start times
