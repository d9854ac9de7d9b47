"""The vectorised CSV writer (reports/vector_csv.py): when it writes and when the row writer does, its progress,
and a row its columns do not cover (data committed between the column query and the rows) failing the report."""

from __future__ import annotations

import csv

import pytest

from chargeledger.reports import run, vector_csv
from chargeledger.reports.catalogue import statement
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.reports.run import write_report

from tests.reports.test_statement_identity import _fill
from tests.reports.world import operator_world


@pytest.fixture
def spied(monkeypatch):
    """The reports the vectorised writer wrote."""
    monkeypatch.setattr(run, "VECTORISED", True)
    written: list[str] = []
    real_write = vector_csv.write
    monkeypatch.setattr(vector_csv, "write", lambda engine, plan, *a, **kw: written.append(plan.request.report)
                        or real_write(engine, plan, *a, **kw))
    return written


def _request(engine, name="statement", zone="Europe/Amsterdam"):
    return build_request(engine, name, "2024-01-01", "2025-02-01", operator_caller(engine), time_zone=zone)


def test_statement_is_vectorised_and_reports_progress(engine, tmp_path, spied):
    operator_world(engine)
    _fill(engine, 120)
    seen: list[tuple[int, int]] = []
    target = tmp_path / "statement.csv"
    assert write_report(engine, _request(engine), "csv", target, progress=lambda d, t: seen.append((d, t))) == 120
    assert spied == ["statement"]
    assert seen[-1] == (120, 120) and all(done <= total for done, total in seen)
    with open(target, newline="", encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert len(table) == 121 and all(len(line) == len(table[0]) for line in table)


def test_reports_without_twins_and_zones_duckdb_lacks_go_row_by_row(engine, tmp_path, spied, monkeypatch):
    operator_world(engine)
    _fill(engine, 30)
    assert write_report(engine, _request(engine, "sessions"), "csv", tmp_path / "sessions.csv") > 0
    assert spied == []  # its Bill Details column is computed in Python alone
    monkeypatch.setitem(vector_csv._known_zones, "Europe/Amsterdam", False)  # as if ICU lacked it
    assert write_report(engine, _request(engine), "csv", tmp_path / "statement.csv") == 30
    assert spied == []


def test_a_row_listing_a_jurisdiction_without_a_column_fails_the_report(engine, tmp_path, spied, monkeypatch):
    operator_world(engine)
    _fill(engine, 200)  # some settlements list City and State
    real = statement.jurisdictions
    # as if a settlement with "City" was committed after the columns were found
    monkeypatch.setattr(statement, "jurisdictions", lambda conn, request: [j for j in real(conn, request)
                                                                           if j != "City"])
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ReportError, match="data changed"):
        write_report(engine, _request(engine), "csv", folder / "statement.csv")
    assert spied == ["statement"] and not list(folder.iterdir())  # no file, not even a temporary one
