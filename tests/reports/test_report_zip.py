"""Several reports in one ZIP (issue 14): every member is what its single file is, read back with csv and openpyxl;
the manifest names each file's report, rows, zone and period; the command line and the HTTP download make it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chargeledger.access.rights import Caller, Right
from chargeledger.http.app import create_app
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.reports.run import write_report

from tests.builders import add_user_key
from tests.reports import seed_headers
from tests.reports.test_report_api import finished
from tests.reports.world import UTC, operator_world, record_session, settle

MARCH = ("2024-03-01", "2024-04-01")
NAMES = ["statement", "sessions", "roaming-sessions"]
HEADERS = {"statement": seed_headers.statement(["State"]), "sessions": seed_headers.SESSIONS,
           "roaming-sessions": seed_headers.ROAMING_SESSIONS}
MONEY = {"statement": "Payment Total", "sessions": "Cost", "roaming-sessions": "Price"}  # a total to compare


@pytest.fixture
def world(engine):
    operator_world(engine)
    own = record_session(engine, "own-1", datetime(2024, 3, 5, 8, tzinfo=UTC), 90, 12_345)
    hub = record_session(engine, "hub-1", datetime(2024, 3, 6, 22, 30, tzinfo=UTC), 120, 20_000, network="Hubject")
    ocpi = record_session(engine, "ocpi-1", datetime(2024, 3, 31, 23, tzinfo=UTC), 30, 5_500, network="OCPI")
    settle(engine, own, "3.63", taxes=[{"jurisdiction": "State", "rate": "0.06", "amount": "0.20"}])
    settle(engine, hub, "6.05")
    settle(engine, ocpi, "1.2345")


def _ask(engine, name=NAMES[0], caller=None):
    return build_request(engine, name, *MARCH, caller or operator_caller(engine), time_zone="America/New_York",
                         known_reports=REPORTS)


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # the BOM, as in the single file
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _sheet(data: bytes) -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def _total(table: list[list], column: str) -> Decimal:
    at = list(table[0]).index(column)
    return sum((Decimal(str(row[at])) for row in table[1:] if row[at] not in ("", None)), Decimal(0))


def test_each_member_is_its_single_file_and_the_manifest_names_it(engine, world, tmp_path):
    names = ["statement", "roaming-sessions"]  # the sessions report is bundled over HTTP below
    target = tmp_path / "march.zip"
    rows = write_report(engine, _ask(engine), "zip", target, reports=names, members=["csv", "xlsx"])
    archive = zipfile.ZipFile(target)
    assert archive.namelist() == [f"{n}.{f}" for n in names for f in ("csv", "xlsx")] + ["manifest.json"]
    files = {entry["file"]: entry for entry in json.loads(archive.read("manifest.json"))["files"]}
    for name in names:
        write_report(engine, _ask(engine, name), "csv", tmp_path / f"{name}.csv")
        single = _csv((tmp_path / f"{name}.csv").read_bytes())
        table, sheet = _csv(archive.read(f"{name}.csv")), _sheet(archive.read(f"{name}.xlsx"))
        assert table[0] == sheet[0] == HEADERS[name]
        assert _total(table, MONEY[name]) == _total(sheet, MONEY[name]) == _total(single, MONEY[name]) > 0
        assert table == single  # every cell, not only the totals
        for fmt in ("csv", "xlsx"):
            entry = files[f"{name}.{fmt}"]
            assert entry["report"] == name and entry["format"] == fmt and entry["rows"] == len(table) - 1
            # the days asked for are midnights in the asked zone; "to" is exclusive
            assert (entry["from"], entry["to"]) == ("2024-03-01T00:00:00-05:00", "2024-04-01T00:00:00-04:00")
        assert files[f"{name}.csv"]["time_zone"] == (
            "the time zone of each station's site" if name == "roaming-sessions" else "America/New_York")
    assert rows == sum(entry["rows"] for entry in files.values()) == 2 * (3 + 2)
    assert archive.getinfo("statement.xlsx").compress_type == zipfile.ZIP_STORED  # compressed already


def test_a_zip_is_refused_whole_when_one_report_is_not_allowed(engine, world, tmp_path):
    clerk = Caller(1, "clerk@acme", frozenset({Right.REPORTS}), frozenset({"ACME"}), "UTC")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReportError, match="stations right"):
        write_report(engine, _ask(engine, caller=clerk), "zip", out / "x.zip", reports=NAMES)
    with pytest.raises(ReportError, match="unknown format"):
        write_report(engine, _ask(engine), "zip", out / "x.zip", reports=NAMES, members=["pdf"])
    assert list(out.iterdir()) == []  # no file, not even a partial one


def test_the_command_line_writes_a_zip_of_several_reports(engine, world, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from chargeledger.cli.main import app

    target = tmp_path / "march.zip"
    ran = CliRunner().invoke(app, ["report", "statement", "sessions", "--from", MARCH[0], "--to", MARCH[1],
                                   "--format", "zip", "-o", str(target)])
    assert ran.exit_code == 0, ran.output
    archive = zipfile.ZipFile(target)
    assert archive.namelist() == ["statement.csv", "sessions.csv", "manifest.json"]  # CSV unless --members says
    assert _csv(archive.read("sessions.csv"))[0] == seed_headers.SESSIONS
    alone = CliRunner().invoke(app, ["report", "statement", "sessions", "--from", MARCH[0], "--to", MARCH[1],
                                     "-o", str(tmp_path / "two.csv")])
    assert alone.exit_code == 2 and "--format zip" in alone.output


def test_a_zip_downloads_over_http(engine, world, tmp_path, monkeypatch):
    monkeypatch.setattr("chargeledger.reports.jobs.JOB_FOLDER", tmp_path / "jobs")
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["reports", "stations"])
    client = TestClient(create_app(engine))
    auth = {"Authorization": f"Bearer {key}"}
    ask = {"start": MARCH[0], "end": MARCH[1], "format": "zip", "reports": ["sessions", "roaming-sessions"],
           "members": ["xlsx"]}
    started = client.post("/api/reports/jobs", json=ask, headers=auth)
    assert started.status_code == 202
    progress = finished(client, started.json()["progress_url"], auth)
    assert progress["status"] == "done" and progress["rows_done"] == 3 + 2
    download = client.get(progress["download_url"], headers=auth)
    assert download.headers["content-type"] == "application/zip"
    assert "sessions%2Broaming-sessions.zip" in download.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    # without the finance right, Bill Details is left out of the bundled file as of the single one
    sessions = _sheet(archive.read("sessions.xlsx"))
    assert sessions[0] == [c for c in seed_headers.SESSIONS if c != "Bill Details"]
    assert _total(sessions, "Cost") == Decimal("10.9145")  # 3.63 + 6.05 + 1.2345, the payment totals
    assert _sheet(archive.read("roaming-sessions.xlsx"))[0] == seed_headers.ROAMING_SESSIONS
    manifest = json.loads(archive.read("manifest.json"))
    assert [(e["file"], e["rows"]) for e in manifest["files"]] == [("sessions.xlsx", 3), ("roaming-sessions.xlsx", 2)]
    refused = client.post("/api/reports/jobs", json={**ask, "reports": ["statement", "nope"]}, headers=auth)
    assert refused.status_code == 400 and "unknown report 'nope'" in refused.json()["detail"]
    assert client.post("/api/reports/jobs", json={**ask, "members": ["pdf"]}, headers=auth).status_code == 400
    assert client.post("/api/reports/jobs", json={**ask, "format": "csv"}, headers=auth).status_code == 400
    clerk = add_user_key(engine, "clerk@acme.example", ["ACME"], ["reports"])
    assert client.post("/api/reports/jobs", json=ask, headers={"Authorization": f"Bearer {clerk}"}
                       ).status_code == 403
