"""Bad rows are reported with line and reason, good rows are stored, and nothing stored before changes."""

from __future__ import annotations

from datetime import timezone

import pytest
from sqlalchemy import select

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.importing import MappingError, import_sessions, parse_mapping
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.storage.tables import import_runs, session_events, sessions
from tests.builders import T0, add_network

MAPPING = {
    "source": {"name": "legacy"},
    "file": {"delimiter": ";", "decimal_comma": True, "null_values": ["", "NA"]},
    "time": {"formats": ["%d.%m.%Y %H:%M", "%d/%m/%y %H:%M"], "time_zone": "Europe/Amsterdam"},
    "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh", "station": "station",
                "token": "card", "amount": "paid"},
    "units": {"energy": "kWh", "currency": "EUR"},
    "network": {"organisation": "ACME", "site": "ACME-SITE"},
}

BAD_FILE = """id;start;stop;kwh;station;card;paid
1;01.03.2024 08:00;01.03.2024 09:30;12,5;CP-1;04A1B2;3,75
2;31.02.2024 08:00;01.03.2024 09:30;1,0;CP-1;04A1B2;0
3;01.03.2024 08:00;01.03.2024 09:30;12.5.1;CP-1;04A1B2;0
4;01.03.2024 08:00;01.03.2024 09:30;-2,0;CP-1;04A1B2;0
5;01.03.2024 10:00;01.03.2024 09:30;2,0;CP-1;04A1B2;0
6;01.03.2024 08:00;01.03.2024 09:30;2,0;CP-404;04A1B2;0
1;02.03.2024 08:00;02.03.2024 09:30;2,0;CP-1;04A1B2;0
7;01.03.2024 08:00;01.03.2024 09:30;2,0;CP-1
8;05/03/24 18:00;05/03/24 19:00;7,25;CP-1;NA;NA

9;01.03.2024 08:00;NA;2,0;CP-1;;
"""

EXPECTED = [
    (3, "start '31.02.2024 08:00' matches none of the date formats"),
    (4, "kwh '12.5.1' has a point but the file uses a decimal comma"),
    (7, "unknown station CP-404 (auto_create_stations is off)"),
    (8, "session id 1 repeats line 2"),
    (9, "the row has 5 fields where the header has 7"),
    (12, "stop is empty: the session has no end"),
]


def _snapshot(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(select(sessions).order_by(sessions.c.id))],
                [tuple(r) for r in conn.execute(select(session_events).order_by(session_events.c.id))])


def _check(report) -> None:
    assert len(report.errors) == len(EXPECTED)
    for error, (line, reason) in zip(report.errors, EXPECTED):
        assert error.line == line and error.reason.startswith(reason), (error, line, reason)


def test_each_bad_row_reported_good_rows_stored_nothing_lost(engine, tmp_path):
    add_network(engine)
    ledger = Ledger(engine)
    earlier, _ = ledger.record(SessionRef("ocpp:CP-1:99", "ACME", "ACME-SITE", "CP-1"), [
        NewEvent(EventKind.TRANSACTION_STARTED, T0, EventSource.OCPP, {"meter_start_wh": 0}, "t99-start")])
    file = tmp_path / "legacy.csv"
    file.write_text(BAD_FILE, encoding="utf-8")
    mapping = parse_mapping(MAPPING)
    before = _snapshot(engine)

    report = import_sessions(engine, file, mapping)
    _check(report)
    assert (report.rows_total, report.imported, report.skipped, report.flagged) == (10, 4, 0, 2)
    with engine.connect() as conn:
        stored = {r.external_key: r for r in conn.execute(select(sessions))}
        run = conn.execute(select(import_runs)).one()
    assert set(stored) == {"ocpp:CP-1:99", "import:legacy:1", "import:legacy:4", "import:legacy:5", "import:legacy:8"}
    # values no charger produces are kept as written, with a data-quality flag the operator sees
    assert [(f["code"], f["detail"]) for f in stored["import:legacy:4"].summary["flags"]] == [
        ("data_quality", "negative energy (-2.0 kWh)")]
    assert stored["import:legacy:4"].energy_wh == -2000 and stored["import:legacy:4"].status == "Cancelled"
    assert [(f["code"], f["detail"]) for f in stored["import:legacy:5"].summary["flags"]] == [
        ("data_quality", "the stop (2024-03-01 08:30 UTC) is before the start (2024-03-01 09:00 UTC)")]
    assert stored["import:legacy:1"].energy_wh == 12500 and stored["import:legacy:1"].id_token == "04A1B2"
    # two-digit year 24 with the default pivot is 2024; 18:00 in Amsterdam (CET) is 17:00 UTC
    assert stored["import:legacy:8"].started_at.replace(tzinfo=timezone.utc).hour == 17
    assert stored["import:legacy:8"].started_at.year == 2024
    assert (run.rows_total, run.rows_imported, run.rows_rejected) == (10, 4, 6)
    assert [e["line"] for e in run.errors] == [line for line, _ in EXPECTED]
    after_first = _snapshot(engine)
    assert after_first[0][0] == before[0][0] and after_first[1][0] == before[1][0]  # the earlier session as it was

    again = import_sessions(engine, file, mapping)
    _check(again)
    assert (again.imported, again.skipped) == (0, 4)
    assert _snapshot(engine) == after_first

    # the same id with other values is reported; the stored session is kept
    file.write_text(BAD_FILE.replace("12,5;CP-1", "99,0;CP-1"), encoding="utf-8")
    changed = import_sessions(engine, file, mapping)
    assert changed.imported == 0 and changed.errors[0].line == 2
    assert "imported before (line 2) with other values" in changed.errors[0].reason
    assert _snapshot(engine) == after_first
    assert ledger.project(earlier).started_at == T0


def test_dry_run_stores_nothing(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "legacy.csv"
    file.write_text(BAD_FILE, encoding="utf-8")
    report = import_sessions(engine, file, parse_mapping(MAPPING), dry_run=True)
    _check(report)
    assert report.imported == 4 and report.run_id is None
    assert _snapshot(engine) == ([], [])


def test_a_mapping_column_missing_from_the_header_stops_the_import(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "legacy.csv"
    file.write_text(BAD_FILE.replace("kwh", "energy", 1), encoding="utf-8")
    with pytest.raises(MappingError, match="line 1: column\\(s\\) 'kwh' named in the mapping are not in the header"):
        import_sessions(engine, file, parse_mapping(MAPPING))
    assert _snapshot(engine) == ([], [])


def test_encodings_are_tried_in_order(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    file = tmp_path / "latin.csv"
    text = "id;start;stop;kwh;station;card;paid\nÅ1;01.03.2024 08:00;01.03.2024 09:00;1,5;CP-1;;\n"
    file.write_bytes(text.encode("cp1252"))
    mapping = parse_mapping({**MAPPING, "file": {**MAPPING["file"], "encodings": ["utf-8", "cp1252"]}})
    report = import_sessions(sqlite_engine, file, mapping)
    assert report.encoding == "cp1252" and report.imported == 1
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(sessions.c.external_key)).scalar() == "import:legacy:Å1"


def test_a_repeat_in_a_later_batch_is_found_by_the_database(engine, tmp_path, monkeypatch):
    """Batches of two rows: line 8 repeats a session id stored by an earlier batch of this run. The importer keeps
    no set of the ids it has read (memory stays flat); the stored row says which run and line it came from."""
    from chargeledger.importing import sessions as importer

    monkeypatch.setattr(importer, "BATCH", 2)
    add_network(engine)
    file = tmp_path / "legacy.csv"
    file.write_text(BAD_FILE, encoding="utf-8")
    dry = import_sessions(engine, file, parse_mapping(MAPPING), dry_run=True)
    _check(dry)
    report = import_sessions(engine, file, parse_mapping(MAPPING))
    _check(report)
    assert (report.rows_total, report.imported, report.skipped, report.flagged) == (10, 4, 0, 2)
    assert (dry.imported, dry.flagged, dry.kwh_valid) == (4, 2, report.kwh_valid)
    assert report.kwh_imported == report.kwh_valid
