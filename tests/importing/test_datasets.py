"""The two public datasets import completely: every row a session, the file's kWh to the hundredth, idempotent."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeledger.directory import registry
from chargeledger.domain.network import Organisation
from chargeledger.importing import import_sessions, load_mapping
from chargeledger.ledger import Ledger
from chargeledger.storage.tables import import_runs, payments, session_events, sessions, stations

DATA = Path(__file__).parent.parent / "data" / "sessions"
TRONDHEIM = DATA / "norway_trondheim_residential" / "Dataset 1_EV charging reports.csv"
WORKPLACE = DATA / "workplace_charging_dataverse" / "station_data_dataverse.csv"


def _totals(engine, org: str) -> tuple[int, Decimal]:
    with engine.connect() as conn:
        count, wh = conn.execute(select(func.count(), func.sum(sessions.c.energy_wh))
                                 .where(sessions.c.organisation_id == org)).one()
    return count, (Decimal(str(wh)) / 1000).quantize(Decimal("0.01"))


def _row(engine, key: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(sessions).where(sessions.c.external_key == key)).one()._mapping)


def _summary_matches_refresh(engine, key: str) -> None:
    before = _row(engine, key)
    Ledger(engine).refresh(before["id"])
    assert _row(engine, key) == before


def _summaries_match_refresh(engine, org: str, every: int) -> None:
    """The rows the import wrote (summary included, computed without projecting each session) are the rows the
    ledger's own projection writes, for every `every`-th session of the file."""
    with engine.connect() as conn:
        keys = conn.execute(select(sessions.c.external_key).where(sessions.c.organisation_id == org)
                            .order_by(sessions.c.id)).scalars().all()
    for key in keys[::every]:
        _summary_matches_refresh(engine, key)


def test_trondheim_residential(engine):
    registry.add_organisation(engine, Organisation("TRONDHEIM", "Trondheim garages", "NO", "NOK"))
    report = import_sessions(engine, TRONDHEIM, load_mapping("trondheim_residential"))
    assert (report.rows_total, report.imported, report.rejected, report.skipped) == (6878, 6878, 0, 0)
    assert _totals(engine, "TRONDHEIM") == (6878, Decimal("87493.28"))
    assert report.kwh_imported == Decimal("87493.28")
    first = _row(engine, "import:trondheim:1")
    # 21.12.2018 10:20 in Oslo (CET, UTC+1) is 09:20 UTC; decimal comma 0,3 kWh is 300 Wh
    assert first["started_at"] == datetime(2018, 12, 21, 9, 20, tzinfo=timezone.utc)
    assert first["stopped_at"] == datetime(2018, 12, 21, 9, 23, tzinfo=timezone.utc)
    assert first["energy_wh"] == 300
    assert first["station_id"] == "TRONDHEIM-AdO3" and first["driver_id"] == "TRONDHEIM-AdO3-4"
    summer = _row(engine, "import:trondheim:3000")  # 19.10.2019 19:18 is summer time in Oslo: UTC+2
    assert summer["started_at"] == datetime(2019, 10, 19, 17, 18, tzinfo=timezone.utc)
    # A row without plug-out is stored, closed at its start and flagged, never silently open
    no_stop = _row(engine, "import:trondheim:5144")
    assert no_stop["status"] == "Stopped" and no_stop["energy_wh"] == 17760
    assert [f["code"] for f in no_stop["summary"]["flags"]] == ["force_closed"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stations)
                            .where(stations.c.organisation_id == "TRONDHEIM")).scalar() == 24
        run = conn.execute(select(import_runs)).one()
    assert (run.rows_total, run.rows_imported, run.rows_rejected) == (6878, 6878, 0)
    for key in ("import:trondheim:1", "import:trondheim:5144", "import:trondheim:6878"):
        _summary_matches_refresh(engine, key)
    _summaries_match_refresh(engine, "TRONDHEIM", 97)

    # the file read directly with the csv module, apart from the import, by the documented decoding rule
    raw = TRONDHEIM.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    assert _totals(engine, "TRONDHEIM") == (len(rows), sum(Decimal(r["El_kWh"].replace(",", ".")) for r in rows)
                                            .quantize(Decimal("0.01")))

    again = import_sessions(engine, TRONDHEIM, load_mapping("trondheim_residential"))
    assert (again.imported, again.skipped, again.rejected) == (0, 6878, 0)
    assert _totals(engine, "TRONDHEIM") == (6878, Decimal("87493.28"))


def test_workplace_years_written_0014(engine):
    registry.add_organisation(engine, Organisation("WORKPLACE", "Workplace campuses", "US", "USD", public=False))
    report = import_sessions(engine, WORKPLACE, load_mapping("workplace_dataverse"))
    assert (report.rows_total, report.imported, report.rejected) == (3395, 3395, 0)
    assert _totals(engine, "WORKPLACE") == (3395, Decimal("19723.69"))
    first = _row(engine, "import:workplace:1366563")
    # 0014-11-18 15:40:26 is 2014 in Los Angeles (PST, UTC-8)
    assert first["started_at"] == datetime(2014, 11, 18, 23, 40, 26, tzinfo=timezone.utc)
    assert first["site_id"] == "WORKPLACE-LOC-461655" and first["summary"]["start_source"] == "Mobile app"
    with engine.connect() as conn:
        payloads = conn.execute(select(session_events.c.payload)
                                .where(session_events.c.kind == "session_recorded")).scalars().all()
    paid = [Decimal(p["amount_paid"]) for p in payloads if "amount_paid" in p]
    assert len(paid) == 3395 and sum(paid) == Decimal("401.52")
    assert {p["currency"] for p in payloads} == {"USD"}
    _summary_matches_refresh(engine, "import:workplace:1366563")
    _summaries_match_refresh(engine, "WORKPLACE", 53)
    # the file read directly, apart from the import: every session, its kWh and the payments it records
    with WORKPLACE.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert _totals(engine, "WORKPLACE") == (len(rows), sum(Decimal(r["kwhTotal"]) for r in rows).quantize(
        Decimal("0.01")))
    dollars = [Decimal(r["dollars"]) for r in rows if Decimal(r["dollars"]) != 0]
    with engine.connect() as conn:
        captured = conn.execute(select(func.count(), func.sum(payments.c.amount_captured))
                                .where(payments.c.status == "captured", payments.c.currency == "USD")).one()
        entries = conn.execute(select(func.count()).select_from(session_events)
                               .where(session_events.c.kind == "payment_recorded")).scalar()
    assert (captured[0], Decimal(str(captured[1]))) == (len(dollars), sum(dollars)) and entries == len(dollars)
    again = import_sessions(engine, WORKPLACE, load_mapping("workplace_dataverse"))
    assert (again.imported, again.skipped) == (0, 3395)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar() == len(dollars)


def _workplace_as(kind: str, folder: Path) -> Path:
    """The Workplace file, every row and column as published, written as an XLSX sheet or a JSON array."""
    with WORKPLACE.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if kind == "json":
        path = folder / "station_data_dataverse.json"
        path.write_text(json.dumps([dict(zip(rows[0], row)) for row in rows[1:]]))
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("sessions")
    for row in rows:
        sheet.append(row)
    path = folder / "station_data_dataverse.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["xlsx", "json"])
def test_workplace_as_a_sheet_or_json_imports_the_same_history(sqlite_engine, tmp_path, kind):
    """The same real history through the XLSX and JSON readers with the shipped mapping unchanged; count, kWh and
    dollars checked against the written file read back by openpyxl / json, apart from the importer."""
    registry.add_organisation(sqlite_engine, Organisation("WORKPLACE", "Workplace", "US", "USD", public=False))
    path = _workplace_as(kind, tmp_path)
    if kind == "json":
        records = json.loads(path.read_text())
    else:
        from openpyxl import load_workbook

        values = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
        records = [dict(zip(values[0], row)) for row in values[1:]]
    report = import_sessions(sqlite_engine, path, load_mapping("workplace_dataverse"))
    assert (report.rows_total, report.imported, report.rejected) == (len(records), 3395, 0)
    kwh = sum(Decimal(str(r["kwhTotal"])) for r in records).quantize(Decimal("0.01"))
    assert _totals(sqlite_engine, "WORKPLACE") == (len(records), kwh) == (3395, Decimal("19723.69"))
    with sqlite_engine.connect() as conn:
        captured = conn.execute(select(func.sum(payments.c.amount_captured))).scalar()
    assert Decimal(str(captured)) == sum(Decimal(str(r["dollars"])) for r in records) == Decimal("401.52")
    first = _row(sqlite_engine, "import:workplace:1366563")
    assert first["started_at"] == datetime(2014, 11, 18, 23, 40, 26, tzinfo=timezone.utc)
