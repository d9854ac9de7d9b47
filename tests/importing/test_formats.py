"""One session history in every format it arrives in imports to the same sessions; bad records name their place."""

from __future__ import annotations

import gzip
import json
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from chargeledger.importing import MappingError, import_sessions, parse_mapping
from chargeledger.storage.tables import sessions
from tests.builders import add_network

ROWS = [
    {"id": "A1", "start": "2024-03-01 08:00:00", "stop": "2024-03-01 09:30:00", "kwh": 12.5, "cp": "CP-1"},
    {"id": "A2", "start": "2024-03-02 18:00:00", "stop": "2024-03-02 19:00:00", "kwh": 7.25, "cp": "CP-1"},
]
FLAT = {"source": {"name": "fmt"}, "time": {"formats": ["%Y-%m-%d %H:%M:%S"], "time_zone": "Europe/Amsterdam"},
        "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh", "station": "cp"},
        "network": {"organisation": "ACME", "site": "ACME-SITE"}}


def _nested(row: dict) -> dict:
    return {"session": {"id": row["id"], "period": {"from": row["start"], "to": row["stop"]}},
            "meter": {"kwh": row["kwh"]}, "evse": {"station": row["cp"]}}


NESTED = {**FLAT, "columns": {"session_id": "session.id", "start": "session.period.from",
                              "stop": "session.period.to", "energy": "meter.kwh", "station": "evse.station"}}


def _stored(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {r.external_key: (r.energy_wh, r.started_at.hour)
                for r in conn.execute(select(sessions.c.external_key, sessions.c.energy_wh, sessions.c.started_at))}


EXPECTED = {"import:fmt:A1": (12500, 7), "import:fmt:A2": (7250, 17)}


def _csv(rows) -> str:
    return "id,start,stop,kwh,cp\n" + "".join(f"{r['id']},{r['start']},{r['stop']},{r['kwh']},{r['cp']}\n"
                                              for r in rows)


def _xlsx(path, rows, header_row=1, sheet="Sessions"):
    book = Workbook()
    book.active.title = "Notes"
    ws = book.create_sheet(sheet)
    for _ in range(header_row - 1):
        ws.append(["exported by the old back office"])
    ws.append(["id", "start", "stop", "kwh", "cp"])
    for r in rows:
        ws.append([r["id"], datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["stop"]), r["kwh"], r["cp"]])
    book.save(path)


@pytest.mark.parametrize("name, file_section, write", [
    ("h.csv", {}, lambda p: p.write_text(_csv(ROWS))),
    ("h.tsv", {"delimiter": "\t"}, lambda p: p.write_text(_csv(ROWS).replace(",", "\t"))),
    ("h.csv.gz", {}, lambda p: p.write_bytes(gzip.compress(_csv(ROWS).encode()))),
    ("h.zip", {}, lambda p: zipfile.ZipFile(p, "w").writestr("export/h.csv", _csv(ROWS))),
    ("h.json", {}, lambda p: p.write_text(json.dumps(ROWS))),
    ("h.json", {"records": "data.sessions"}, lambda p: p.write_text(json.dumps({"data": {"sessions": ROWS}}))),
    ("h.jsonl", {}, lambda p: p.write_text("".join(json.dumps(r) + "\n" for r in ROWS))),
    ("h.export", {"format": "jsonl"}, lambda p: p.write_text("".join(json.dumps(r) + "\n" for r in ROWS))),
    ("h.xlsx", {"sheet": "Sessions", "header_row": 3}, lambda p: _xlsx(p, ROWS, header_row=3)),
])
def test_every_format_imports_the_same_sessions(engine, tmp_path, name, file_section, write):
    add_network(engine)
    path = tmp_path / name
    write(path)
    report = import_sessions(engine, path, parse_mapping({**FLAT, "file": file_section}))
    assert report.errors == [] and report.imported == 2
    assert _stored(engine) == EXPECTED


def test_nested_json_fields_by_path(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    path = tmp_path / "nested.json"
    path.write_text(json.dumps([_nested(r) for r in ROWS]))
    report = import_sessions(sqlite_engine, path, parse_mapping(NESTED))
    assert report.errors == [] and _stored(sqlite_engine) == EXPECTED


def test_bad_records_name_their_json_path_jsonl_line_and_sheet_row(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    bad = {**ROWS[1], "id": "B", "kwh": "lots"}
    array = tmp_path / "a.json"
    array.write_text(json.dumps({"items": [ROWS[0], bad, 7]}))
    report = import_sessions(sqlite_engine, array, parse_mapping({**FLAT, "file": {"records": "items"}}))
    assert [(e.where, e.reason) for e in report.errors] == [
        ("$.items[1]", "kwh 'lots' is not a number"), ("$.items[2]", "the record is a int, not an object")]

    lines = tmp_path / "b.jsonl"
    lines.write_text(json.dumps(ROWS[1]) + "\n{broken\n" + json.dumps(bad) + "\n")
    report = import_sessions(sqlite_engine, lines, parse_mapping(FLAT))
    assert [e.line for e in report.errors] == [2, 3] and report.imported == 1

    sheet = tmp_path / "c.xlsx"
    _xlsx(sheet, [{**ROWS[0], "id": "X1"}, {**ROWS[1], "id": "C", "kwh": "lots"}], sheet="S")
    report = import_sessions(sqlite_engine, sheet, parse_mapping({**FLAT, "file": {"sheet": "S"}}))
    assert [(e.where, e.reason) for e in report.errors] == [("S!row 3", "kwh 'lots' is not a number")]


def test_unusable_files_say_why(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    not_json = tmp_path / "x.json"
    not_json.write_text('{"a": 1}\n{"a": 2}\n')
    with pytest.raises(MappingError, match="line 2 column 1: the file is not JSON .* JSON Lines"):
        import_sessions(sqlite_engine, not_json, parse_mapping(FLAT))
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", _csv(ROWS))
        archive.writestr("b.csv", _csv(ROWS))
    with pytest.raises(MappingError, match="holds 2 files"):
        import_sessions(sqlite_engine, two, parse_mapping(FLAT))
    book = tmp_path / "s.xlsx"
    _xlsx(book, ROWS)
    with pytest.raises(MappingError, match="no sheet 'Other'"):
        import_sessions(sqlite_engine, book, parse_mapping({**FLAT, "file": {"sheet": "Other"}}))


def test_units_value_tables_optional_columns_and_skip_rules(engine, tmp_path):
    add_network(engine)
    m = parse_mapping({**FLAT, "columns": {**FLAT["columns"], "start_source": "how", "token": "card",
                                           "optional": ["card"]},
                       "values": {"how": {"ios": "Mobile app", "rfid": "RFID"}},
                       "rules": {"skip": [{"column": "state", "values": ["open"]}]}})
    path = tmp_path / "units.csv"
    path.write_text("id,start,stop,kwh,cp,how,state\n"
                    "U1,2024-03-01 08:00:00,2024-03-01 09:30:00,17 kWh,CP-1,ios,done\n"
                    "U2,2024-03-02 18:00:00,2024-03-02 19:00:00,7250Wh,CP-1,rfid,done\n"
                    "U3,2024-03-03 18:00:00,,,CP-1,web,open\n")
    report = import_sessions(engine, path, m)
    assert report.errors == [] and report.imported == 2 and report.skipped_by_rule == 1
    assert report.kwh_imported == Decimal("24.25")
    with engine.connect() as conn:
        stored = dict(conn.execute(select(sessions.c.external_key, sessions.c.summary)).all())
    assert {k: (v or {}).get("start_source_raw") for k, v in stored.items()} == {
        "import:fmt:U1": "Mobile app", "import:fmt:U2": "RFID"}
