"""Malformed files: each problem is one row's report with its line; the good rows around it are stored."""

from __future__ import annotations

import csv

from sqlalchemy import select
from typer.testing import CliRunner

from chargeledger.importing import import_sessions, parse_mapping
from chargeledger.ledger import Ledger
from chargeledger.storage.tables import sessions
from tests.builders import add_network
from tests.importing.test_bad_rows import MAPPING

HEADER = "id;start;stop;kwh;station;card;paid\n"


def _row(n: int, kwh: str = "2,0", card: str = "") -> str:
    return f"{n};01.03.2024 08:00;01.03.2024 09:00;{kwh};CP-1;{card};\n"


def _keys(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(sessions.c.external_key)).scalars())


def test_a_huge_cell_rejects_its_row_only(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "huge.csv"
    file.write_text(HEADER + _row(1) + _row(2, card="X" * 200_000) + _row(3), encoding="utf-8")
    report = import_sessions(engine, file, parse_mapping(MAPPING))
    assert [(e.line, e.reason) for e in report.errors] == [(3, "card holds 200,000 characters (a cell may hold 10,000)")]
    assert report.imported == 2 and _keys(engine) == {"import:legacy:1", "import:legacy:3"}


def test_an_unclosed_quote_is_reported_and_the_rows_after_it_are_read(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "quote.csv"
    broken = '2;"01.03.2024 08:00;01.03.2024 09:00;2,0;CP-1;;\n'
    file.write_text(HEADER + _row(1) + broken + "".join(_row(n) for n in range(3, 8)), encoding="utf-8")
    # the csv module alone reads the broken row and the five after it as one row
    assert len(list(csv.reader(file.open(newline=""), delimiter=";"))) == 3
    report = import_sessions(engine, file, parse_mapping(MAPPING))
    assert [e.line for e in report.errors] == [3]
    assert "quote opened on this line is not closed" in report.errors[0].reason
    assert report.rows_total == 7 and report.imported == 6
    assert _keys(engine) == {f"import:legacy:{n}" for n in (1, 3, 4, 5, 6, 7)}


def test_a_quoted_cell_over_two_lines_stays_one_row(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    file = tmp_path / "multiline.csv"
    file.write_text(HEADER + '1;01.03.2024 08:00;01.03.2024 09:00;2,0;CP-1;"AB\nCD";\n' + _row(2), encoding="utf-8")
    report = import_sessions(sqlite_engine, file, parse_mapping(MAPPING))
    assert report.errors == [] and report.imported == 2


def test_valid_utf8_stays_utf8_even_with_a_cp1252_fallback(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    mapping = parse_mapping({**MAPPING, "file": {**MAPPING["file"], "encodings": ["cp1252", "utf-8"]}})
    file = tmp_path / "utf8.csv"
    file.write_bytes((HEADER + _row(1, card="ZÜRICH")).encode("utf-8"))
    report = import_sessions(sqlite_engine, file, mapping)
    assert report.encoding == "utf-8" and report.imported == 1
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(sessions.c.id_token)).scalar() == "ZÜRICH"


def test_one_foreign_byte_without_a_fallback_rejects_its_row_with_the_line(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    file = tmp_path / "mixed.csv"
    file.write_bytes(HEADER.encode() + _row(1).encode() + _row(2, card="Z\u00dcRICH").encode("cp1252")
                     + _row(3, card="ZÜRICH").encode())
    report = import_sessions(sqlite_engine, file, parse_mapping(MAPPING))
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "card: byte 0xDC at character 2 is not utf-8 (declare a fallback such as cp1252 in [file] encodings)")]
    assert report.imported == 2


def test_implausible_values_are_imported_with_a_flag(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "implausible.csv"
    file.write_text(HEADER + _row(1, kwh="999999") + _row(2)
                    + "3;01.03.2024 08:00;01.06.2024 08:00;20,0;CP-1;;\n", encoding="utf-8")
    report = import_sessions(engine, file, parse_mapping(MAPPING))
    assert report.errors == [] and report.imported == 3 and report.flagged == 2
    with engine.connect() as conn:
        ids = dict(conn.execute(select(sessions.c.external_key, sessions.c.id)).all())
    ledger = Ledger(engine)
    flags = {key: [f.detail for f in ledger.project(ids[key]).flags if f.code == "data_quality"]
             for key in ids}
    assert flags["import:legacy:1"] == ["999999 kWh in 60 min is more than 350 kW could deliver"]
    assert flags["import:legacy:2"] == []
    assert flags["import:legacy:3"] == ["the session lasts 92.0 days (more than 168 h)"]


def test_exit_codes_tell_rejected_rows_from_unusable_input(sqlite_engine, tmp_path, monkeypatch):
    add_network(sqlite_engine)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", str(sqlite_engine.url))
    from chargeledger.cli.main import app

    mapping = tmp_path / "m.toml"
    mapping.write_text('[source]\nname = "legacy"\n[file]\ndelimiter = ";"\ndecimal_comma = true\n'
                       '[time]\nformats = ["%d.%m.%Y %H:%M"]\ntime_zone = "Europe/Amsterdam"\n'
                       '[columns]\nsession_id = "id"\nstart = "start"\nstop = "stop"\nenergy = "kwh"\n'
                       'station = "station"\ntoken = "card"\n[network]\norganisation = "ACME"\nsite = "ACME-SITE"\n')
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + _row(1), encoding="utf-8")
    bad.write_text(HEADER + _row(2) + _row(3, kwh="lots"), encoding="utf-8")
    runner = CliRunner()

    dry = runner.invoke(app, ["import", "sessions", str(good), "--mapping", str(mapping), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "skipped by a [rules] skip" in dry.output  # the summary's labels are text, never Rich markup
    assert _keys(sqlite_engine) == set()
    assert runner.invoke(app, ["import", "sessions", str(good), "--mapping", str(mapping)]).exit_code == 0
    rejected = runner.invoke(app, ["import", "sessions", str(bad), "--mapping", str(mapping)])
    assert rejected.exit_code == 1 and "kwh 'lots' is not a number" in rejected.output
    assert "│ kWh imported " in rejected.output and "│ 2.0 " in rejected.output  # the summary's total
    assert _keys(sqlite_engine) == {"import:legacy:1", "import:legacy:2"}
    unusable = runner.invoke(app, ["import", "sessions", str(good), "--mapping", str(tmp_path / "none.toml")])
    assert unusable.exit_code == 2 and "Traceback" not in unusable.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert runner.invoke(app, ["import", "sessions", str(empty), "--mapping", str(mapping)]).exit_code == 2
    # a store without the schema: an unexpected failure is exit 3 and one sentence, never a traceback
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'no_schema.sqlite3'}")
    crashed = runner.invoke(app, ["import", "sessions", str(good), "--mapping", str(mapping)])
    assert crashed.exit_code == 3 and "import failed:" in crashed.output and "Traceback" not in crashed.output


def test_progress_rises_batch_by_batch_to_the_rows_read(sqlite_engine, tmp_path, monkeypatch):
    """The progress bar's callback: rows done of the file's total, batch by batch, ending full."""
    from chargeledger.importing import sessions as importer

    add_network(sqlite_engine)
    file = tmp_path / "many.csv"
    file.write_text(HEADER + "".join(_row(n) for n in range(1, 12)), encoding="utf-8")
    monkeypatch.setattr(importer, "BATCH", 4)
    seen: list[tuple[int, int]] = []
    report = importer.import_sessions(sqlite_engine, file, parse_mapping(MAPPING),
                                      progress=lambda done, total: seen.append((done, total)))
    assert report.imported == 11 and seen == [(4, 11), (8, 11), (11, 11), (11, 11)]
