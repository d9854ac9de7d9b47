"""A CSV written by two processes (key ranges handed out as processes come free, part files appended in order) is
byte for byte the one-process file; a worker's failure fails the report and leaves no file behind."""

from __future__ import annotations

import pytest

from chargeledger.reports import csv_parts, run
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.reports.run import write_report

from tests.reports.test_statement_identity import _fill
from tests.reports.world import operator_world


@pytest.fixture(autouse=True)
def rows_writer(monkeypatch):
    """Parts are the row-by-row writer's (a vectorised CSV is one process's: reports/vector_csv.py)."""
    monkeypatch.setattr(run, "VECTORISED", False)


def test_two_processes_write_the_one_process_bytes(engine, tmp_path, monkeypatch):
    operator_world(engine)
    _fill(engine, 300)
    cut: list = []
    real_ranges = csv_parts.ranges_of

    def spied(*args):
        cut.extend(real_ranges(*args))
        return cut
    monkeypatch.setattr(csv_parts, "ranges_of", spied)
    monkeypatch.setattr(csv_parts, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(csv_parts, "RANGE_ROWS", 30)  # 300 rows: ten ranges for two processes
    for name in ("statement", "sessions"):
        request = build_request(engine, name, "2024-01-01", "2025-02-01", operator_caller(engine),
                                time_zone="Europe/Amsterdam", known_reports=REPORTS)
        one, two = tmp_path / f"{name}-one.csv", tmp_path / f"{name}-two.csv"
        cut.clear()
        assert write_report(engine, request, "csv", one, workers=1) == 300
        assert cut == []  # one worker: no ranges asked for
        seen: list = []
        assert write_report(engine, request, "csv", two, workers=2, progress=lambda d, t: seen.append((d, t))) == 300
        assert len(cut) >= 8 and cut[0][0] is None and cut[-1][1] is None
        assert all(one[1] == two[0] is not None for one, two in zip(cut, cut[1:]))  # each range meets the next
        assert two.read_bytes() == one.read_bytes()
        assert seen[-1] == (300, 300)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no parts left behind


def test_a_failing_worker_fails_the_report_and_leaves_no_file(engine, tmp_path, monkeypatch):
    operator_world(engine)
    _fill(engine, 120)
    monkeypatch.setattr(csv_parts, "PARALLEL_MIN_ROWS", 1)
    real_setup = csv_parts._setup
    # the worker cannot reach any database: nothing listens on port 1
    monkeypatch.setattr(csv_parts, "_setup", lambda url, *rest: real_setup(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", *rest))
    request = build_request(engine, "statement", "2024-01-01", "2025-02-01", operator_caller(engine),
                            known_reports=REPORTS)
    folder = tmp_path / "out"  # the SQLite fixture's files live in tmp_path itself
    folder.mkdir()
    with pytest.raises(ReportError, match="report worker failed"):
        write_report(engine, request, "csv", folder / "statement.csv", workers=2)
    assert list(folder.iterdir()) == []


def test_a_part_with_other_columns_fails_the_report(engine, tmp_path, monkeypatch):
    # a SQLite worker finds its own columns (its own snapshot): if the data changed in between, no file is written
    operator_world(engine)
    _fill(engine, 120)
    monkeypatch.setattr(csv_parts, "PARALLEL_MIN_ROWS", 1)
    real_ready = csv_parts._Worker.ready
    monkeypatch.setattr(csv_parts._Worker, "ready", lambda worker: [*real_ready(worker), "Tax – New"])
    request = build_request(engine, "statement", "2024-01-01", "2025-02-01", operator_caller(engine),
                            known_reports=REPORTS)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ReportError, match="data changed"):
        write_report(engine, request, "csv", folder / "statement.csv", workers=2)
    assert list(folder.iterdir()) == []
