"""Formula injection, from the attacker's side: names an operator's staff or partners type reach every report and
export, and every file read back with a real parser holds no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import update

from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.exports import EXPORTS, write_export
from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.reports.writers import WRITERS
from chargeledger.storage.tables import organisations, reimbursement_agreements, revenue_shares, sites, stations

from tests.reports.world import UTC, operator_world, record_session, settle

HOSTILE = {
    "org": '=HYPERLINK("http://evil.example","org")',
    "site": "+HYPERLINK(\"http://evil.example\",\"site\")",
    "address": "-2+3",
    "city": "@SUM(A1)",
    "station": "\t=1+1",
    "sticker": "\r=cmd|' /C calc'!A0",
    "payee": '=HYPERLINK("http://evil.example","payee")',
    "owner": '+HYPERLINK("http://evil.example","owner")',
    "token": "=1+1",
    "provider": "@NL-EVL",
}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")  # a negative amount is a number, not a formula
MARCH = ("2024-03-01", "2024-04-01")


@pytest.fixture
def hostile_world(engine):
    operator_world(engine)
    with engine.begin() as conn:
        conn.execute(update(organisations).where(organisations.c.id == "ACME").values(name=HOSTILE["org"]))
        conn.execute(update(sites).where(sites.c.id == "ACME-SITE").values(
            name=HOSTILE["site"], address=HOSTILE["address"], city=HOSTILE["city"]))
        conn.execute(update(stations).where(stations.c.id == "CP-1").values(
            name=HOSTILE["station"], sticker_id=HOSTILE["sticker"]))
        conn.execute(reimbursement_agreements.insert().values(
            station_id="CP-1", payee=HOSTILE["payee"], payee_account="NL91ABNA0417164300",
            rate_per_kwh=Decimal("0.25"), currency="EUR"))
        conn.execute(revenue_shares.insert().values(station_id="CP-1", site_owner=HOSTILE["owner"],
                                                    owner_percentage=Decimal("30"), owner_per_kwh=Decimal("0.05")))
    own = record_session(engine, "own-1", datetime(2024, 3, 5, 8, tzinfo=UTC), 90, 12_345, token=HOSTILE["token"])
    roamed = record_session(engine, "ocpi-1", datetime(2024, 3, 6, 9, tzinfo=UTC), 60, 5_000, network="OCPI",
                            provider=HOSTILE["provider"], token=HOSTILE["token"])
    settle(engine, own, "3.63")
    settle(engine, roamed, "2.42")


def _cells_of(path: Path) -> list[str]:
    if zipfile.is_zipfile(path) and path.suffix != ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return [cell for name in archive.namelist()
                    for row in csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8", newline=""))
                    for cell in row]
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name} {sheet.title}!{cell.coordinate} is a formula"
                    if isinstance(cell.value, str):
                        cells.append(cell.value)
        return cells
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _runnable(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(TRIGGERS) and c != "-" and not NUMBER.match(c)]


def test_every_report_in_every_format_neutralises_typed_text(engine, hostile_world, tmp_path):
    seen: set[str] = set()
    for report in REPORTS:
        for fmt in WRITERS:
            request = build_request(engine, report, *MARCH, operator_caller(engine), known_reports=REPORTS)
            target = tmp_path / f"{report}.{fmt}"
            write_report(engine, request, fmt, target)
            cells = _cells_of(target)
            assert _runnable(cells) == [], f"{report} as {fmt}"
            seen |= {c for c in cells if c.startswith("'")}
    # The payloads did reach the files (neutralised), so the check above had something to find.
    assert "'" + HOSTILE["org"] in seen and "'" + HOSTILE["station"] in seen


@pytest.mark.parametrize("fmt", sorted(f for f in EXPORTS if f not in ("ocpi", "oicp")))
def test_every_csv_export_neutralises_typed_text(engine, hostile_world, tmp_path, fmt):
    request = build_request(engine, f"export:{fmt}", *MARCH, operator_caller(engine))
    target = tmp_path / f"{fmt}.out"
    assert write_export(engine, request, fmt, target) > 0
    cells = _cells_of(target)
    assert _runnable(cells) == [], fmt
    expected = {"reimbursement": HOSTILE["payee"], "tariff-distribution": HOSTILE["owner"]}.get(fmt, HOSTILE["token"])
    assert "'" + expected in cells  # the attacker's text is there, defused
