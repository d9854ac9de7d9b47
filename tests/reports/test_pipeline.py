"""The report pipeline (reports/pipeline.py): progress, the same reader for every format, a zone DuckDB lacks
refused, and a row its columns do not cover (data committed between the column query and the rows) failing it."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from chargeledger.reports import pipeline
from chargeledger.reports.catalogue import statement
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.reports.run import csv_chunks, write_report

from tests.reports.test_oracle_reports import _fill
from tests.reports.world import operator_world


def _request(engine, name="statement", zone="Europe/Amsterdam"):
    return build_request(engine, name, "2024-01-01", "2025-02-01", operator_caller(engine), time_zone=zone)


def test_every_format_reads_the_same_rows_and_reports_progress(engine, tmp_path):
    operator_world(engine)
    _fill(engine, 120)
    seen: list[tuple[int, int]] = []
    target = tmp_path / "statement.csv"
    assert write_report(engine, _request(engine), "csv", target, progress=lambda d, t: seen.append((d, t))) == 120
    assert seen[-1] == (120, 120) and all(done <= total for done, total in seen)
    with open(target, newline="", encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert len(table) == 121 and all(len(line) == len(table[0]) for line in table)
    assert b"".join(csv_chunks(engine, _request(engine))) == target.read_bytes()  # the streamed download
    assert write_report(engine, _request(engine), "json", tmp_path / "s.jsonl") == 120
    lines = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines[:1]] == [table[0]]
    assert [[line[name] or "" for name in table[0]] for line in lines] == table[1:]
    assert write_report(engine, _request(engine), "xlsx", tmp_path / "s.xlsx") == 120
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == table[0] and sheet.max_row == 121


def test_a_zone_duckdb_lacks_is_refused(engine, tmp_path, monkeypatch):
    operator_world(engine)
    assert pipeline._zone_known("Europe/Amsterdam") and not pipeline._zone_known("Mars/Olympus_Mons")
    monkeypatch.setattr(pipeline, "_zone_known", lambda zone: zone != "Europe/Amsterdam")  # as if ICU lacked it
    with pytest.raises(ReportError, match="cannot show times in Europe/Amsterdam"):
        write_report(engine, _request(engine), "csv", tmp_path / "statement.csv")


def test_a_row_listing_a_jurisdiction_without_a_column_fails_the_report(engine, tmp_path, monkeypatch):
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
    assert not list(folder.iterdir())  # no file, not even a temporary one
