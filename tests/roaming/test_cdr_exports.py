"""CDR exports read back with real parsers: eViolin ZIPs, OCPI (with credit CDRs) and OICP JSON, splits."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, true, update

from chargeledger.reports.exports import write_export
from chargeledger.reports.request import ReportError, build_request, operator_caller
from chargeledger.roaming.eviolin.columns import COLUMNS
from chargeledger.roaming.eviolin.full import EXTRA_COLUMNS
from chargeledger.storage.tables import reimbursement_agreements, revenue_shares, session_settlements, sites

from tests.reports.world import UTC, operator_world, record_session, settle

DATA = Path(__file__).parent / "data"
SETTLED = datetime(2024, 3, 10, tzinfo=UTC)


def export(engine, fmt, target, start="2024-03-01", end="2024-04-01", **kw):
    request = build_request(engine, f"export:{fmt}", start, end, operator_caller(engine), **kw)
    return write_export(engine, request, fmt, target)


@pytest.fixture
def cdrs(engine):
    operator_world(engine)  # its sites have coordinates
    own = record_session(engine, "own-1", datetime(2024, 3, 5, 8, tzinfo=UTC), 90, 12_345)
    efl = record_session(engine, "efl-1", datetime(2024, 3, 6, 22, 30, tzinfo=UTC), 120, 20_000, network="OCPI")
    efl2 = record_session(engine, "efl-2", datetime(2024, 3, 7, 9, tzinfo=UTC), 30, 5_500, network="OCPI")
    hub = record_session(engine, "hub-1", datetime(2024, 3, 8, 9, tzinfo=UTC), 45, 7_000, network="Hubject",
                         provider="DE-DCB", token="1234ABCD")
    late = record_session(engine, "late-1", datetime(2024, 3, 30, 9, tzinfo=UTC), 45, 7_000, network="OCPI")
    settle(engine, own, "3.63")
    settle(engine, efl, "6.05")
    settle(engine, efl2, "1.2345")
    settle(engine, hub, "2.42")
    settle(engine, late, "2.00", settled_at=datetime(2024, 4, 2, tzinfo=UTC))  # CDR created in April
    return dict(own=own, efl=efl, efl2=efl2, hub=hub, late=late)


def read_zip(path) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(path) as archive:
        return {name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8", newline="")))
                for name in archive.namelist()}


def ledger_sum(engine, column, ids):
    with engine.connect() as conn:
        return conn.execute(select(func.sum(column)).where(session_settlements.c.current == true(),
                                                           session_settlements.c.session_id.in_(ids))).scalar()


def test_eviolin_zip_has_one_file_per_emsp_and_one_not_roamed(engine, cdrs, tmp_path):
    assert export(engine, "eviolin", tmp_path / "cdrs.zip") == 4  # the April-created CDR is out of the frame
    files = read_zip(tmp_path / "cdrs.zip")
    assert sorted(files) == ["cdrs_DEDCB.csv", "cdrs_NLEFL.csv", "not_roamed.csv"]
    for table in files.values():
        assert table[0] == COLUMNS
    efl = [dict(zip(COLUMNS, line)) for line in files["cdrs_NLEFL.csv"][1:]]
    assert [r["CDR_ID"] for r in efl] == ["CDR-efl-1", "CDR-efl-2"]
    first = efl[0]
    assert first["Start_datetime"] == "2024-03-06T22:30:00+00:00" and first["Duration"] == "02:00:00"
    assert first["Volume"] == "20,0000" and first["Charge_Point_Country"] == "NLD"
    assert first["Service_Provider_ID"] == "NLEFL" and first["Infra_Provider_ID"] == "NLACM"
    costs = sum(Decimal(r["Calculated_Cost"].replace(",", ".")) for r in efl)
    assert costs == ledger_sum(engine, session_settlements.c.total_cost_excl_vat, [cdrs["efl"], cdrs["efl2"]])
    assert len(files["not_roamed.csv"]) == 2 and files["not_roamed.csv"][1][0] == f"CL{cdrs['own']}"


def test_eviolin_files_follow_the_sample_conventions(engine, cdrs, tmp_path):
    sample = (DATA / "sample_eviolin_cdr_from_eflux_test.csv").read_text(encoding="utf-8").splitlines()
    export(engine, "eviolin", tmp_path / "cdrs.zip")
    ours = read_zip(tmp_path / "cdrs.zip")["cdrs_NLEFL.csv"]
    theirs = list(csv.reader(sample))
    assert ours[0] == theirs[0]  # same header, same order
    for mine, sample_row in zip(ours[1:], theirs[1:]):
        for index in (1, 2, 3, 4, 19):  # times, duration, volume, cost: same shape as the sample
            shape = re.sub(r"\d+", "9", sample_row[index])
            assert re.sub(r"\d+", "9", mine[index]) == shape


def test_eviolin_full_adds_the_seed_columns(engine, cdrs, tmp_path):
    export(engine, "eviolin-full", tmp_path / "full.zip")
    files = read_zip(tmp_path / "full.zip")
    assert sorted(files) == ["cdrs_all_emsps.csv", "not_roamed.csv"]
    header = files["cdrs_all_emsps.csv"][0]
    assert header == [*COLUMNS, *EXTRA_COLUMNS]
    rows = [dict(zip(header, line)) for line in files["cdrs_all_emsps.csv"][1:]]
    assert len(rows) == 3
    assert rows[0]["Time_Zone"] == "Europe/Amsterdam" and rows[0]["Local_Start_datetime"] == "2024-03-06T23:30:00+0100"
    assert rows[0]["Meter_Start"] == "1,0000" and rows[0]["Meter_Stop"] == "21,0000"


def _required_cdr_fields() -> list[str]:
    text = (DATA / "2.2.1_mod_cdrs.asciidoc").read_text(encoding="utf-8")
    table = text.split("[[mod_cdrs_cdr_object]]", 1)[1].split("|===", 2)[1]
    return [m.group(1) for m in re.finditer(r"^\|(\w+) \|[^|]*\|(?:1|\+) \|", table, re.M)]


def test_ocpi_export_has_every_required_field_and_credits_a_repricing(engine, cdrs, tmp_path):
    settle(engine, cdrs["efl"], "5.00", version=2, settled_at=datetime(2024, 3, 20, tzinfo=UTC), reason="re-priced")
    export(engine, "ocpi", tmp_path / "cdrs.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "cdrs.jsonl").read_text().splitlines()]
    required = _required_cdr_fields()
    assert {"id", "cdr_token", "cdr_location", "total_cost", "charging_periods", "last_updated"} <= set(required)
    for cdr in lines:
        assert [f for f in required if f not in cdr] == []
        assert len(cdr["id"]) <= (39 if cdr.get("credit") else 36)
        assert cdr["cdr_location"]["coordinates"]["latitude"] == "52.370216"
    ids = [c["id"] for c in lines]
    efl = f"CL{cdrs['efl']}"
    assert ids.count(efl) == 1 and f"{efl}-C" in ids and f"{efl}-2" in ids
    credit = next(c for c in lines if c.get("credit"))
    original = next(c for c in lines if c["id"] == efl)
    assert credit["credit_reference_id"] == efl and credit["total_cost"]["incl_vat"] == -original["total_cost"]["incl_vat"]
    assert credit["total_energy"] == original["total_energy"] == 20.0
    assert ids.index(f"{efl}-C") < ids.index(f"{efl}-2")  # credit first, then the new CDR
    assert next(c for c in lines if c["id"] == f"{efl}-2")["total_cost"]["incl_vat"] == 5.0


def test_ocpi_export_refuses_a_cdr_whose_site_has_no_coordinates(engine, cdrs, tmp_path):
    far = record_session(engine, "far-1", datetime(2024, 3, 9, 9, tzinfo=UTC), 30, 4_000, station="OT-1",
                         network="OCPI")
    settle(engine, far, "1.00", currency="USD")
    with engine.begin() as conn:
        conn.execute(update(sites).where(sites.c.id == "OTHER-SITE").values(latitude=None))
    log: list[str] = []
    request = build_request(engine, "export:ocpi", "2024-03-01", "2024-04-01", operator_caller(engine))
    written = write_export(engine, request, "ocpi", tmp_path / "cdrs.jsonl", log=log.append)
    lines = [json.loads(line) for line in (tmp_path / "cdrs.jsonl").read_text().splitlines()]
    assert written == 4 and f"CL{far}" not in [c["id"] for c in lines]  # the four CDRs of ACME's site only
    assert all("coordinates" in c["cdr_location"] for c in lines)
    assert log == [f"session {far}: site OTHER-SITE has no latitude/longitude, which an OCPI CDR location "
                   "requires; CDR not exported"]


def test_oicp_export_matches_the_hubject_record(engine, cdrs, tmp_path):
    export(engine, "oicp", tmp_path / "cdrs.jsonl", network="Hubject")
    (record,) = [json.loads(line) for line in (tmp_path / "cdrs.jsonl").read_text().splitlines()]
    for field in ("SessionID", "EvseID", "Identification", "ChargingStart", "ChargingEnd", "SessionStart",
                  "SessionEnd", "ConsumedEnergy"):
        assert field in record
    assert record["Identification"] == {"RFIDMifareFamilyIdentification": {"UID": "1234ABCD"}}
    assert record["ConsumedEnergy"] == 7.0 and record["MeterValueEnd"] - record["MeterValueStart"] == 7.0
    assert re.match(r"^(([A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9\*]{1,30}))$", record["EvseID"])
    assert record["HubProviderID"] == "DE-DCB" and "Price" not in json.dumps(record)


def test_reimbursement_and_tariff_distribution(engine, cdrs, tmp_path):
    with engine.begin() as conn:
        conn.execute(reimbursement_agreements.insert().values(
            station_id="CP-1", payee="J. Jansen", payee_account="NL91ABNA0417164300",
            rate_per_kwh=Decimal("0.2345"), currency="EUR"))
        conn.execute(revenue_shares.insert().values(station_id="CP-1", site_owner="Parking BV",
                                                    owner_percentage=Decimal("30"), owner_per_kwh=Decimal("0.05")))
    assert export(engine, "reimbursement", tmp_path / "r.csv") == 4
    table = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig", newline="")))
    row = dict(zip(table[0], table[1]))
    assert row["Volume"] == "12,3450" and row["Reimbursement_Amount"] == "2,8900"  # 12.345 × 0.2345 = 2.8949 → 2.89
    assert row["Payee"] == "J. Jansen" and row["Payee_Account"] == "…64300"
    export(engine, "tariff-distribution", tmp_path / "d.csv")
    table = list(csv.reader((tmp_path / "d.csv").open(encoding="utf-8-sig", newline="")))
    for line in table[1:]:
        row = dict(zip(table[0], line))
        revenue, owner, operator = (Decimal(row[k].replace(",", ".")) for k in
                                    ("Revenue_Excl_VAT", "Owner_Share", "Operator_Share"))
        assert owner + operator == revenue
    row = dict(zip(table[0], table[1]))  # 3.0000 excl.: 30 % = 0.90, + 12.345 kWh × 0.05 = 0.61725 → 1.52
    assert row["Revenue_Excl_VAT"] == "3,0000" and row["Owner_Share"] == "1,5200"


def test_bad_export_asks_leave_no_file(engine, cdrs, tmp_path):
    with pytest.raises(ReportError, match="unknown export format"):
        export(engine, "edifact", tmp_path / "x")
    with pytest.raises(ReportError, match="time frame is empty"):
        export(engine, "ocpi", tmp_path / "x", start="2024-04-01", end="2024-03-01")
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith("ledger") for p in tmp_path.iterdir())


def test_ocpi_time_excludes_parking_total_time_is_end_minus_start_and_a_credit_is_dated_when_issued(
        engine, cdrs, tmp_path):
    # efl: 120 minutes, of which the settlement priced 30 as parking; its stored total_time_hours (1) is stale
    with engine.begin() as conn:
        conn.execute(update(session_settlements).where(session_settlements.c.session_id == cdrs["efl"])
                     .values(total_parking_time_hours=Decimal("0.5")))
    settle(engine, cdrs["efl"], "5.00", version=2, settled_at=datetime(2024, 3, 20, 15, tzinfo=UTC),
           total_parking_time_hours=Decimal("0.5"))
    export(engine, "ocpi", tmp_path / "cdrs.jsonl")
    lines = {c["id"]: c for c in map(json.loads, (tmp_path / "cdrs.jsonl").read_text().splitlines())}
    efl = f"CL{cdrs['efl']}"
    for cdr in (lines[efl], lines[f"{efl}-C"], lines[f"{efl}-2"]):
        dims = {d["type"]: d["volume"] for d in cdr["charging_periods"][0]["dimensions"]}
        assert cdr["total_time"] == 2.0 and dims["TIME"] == 1.5 and dims["PARKING_TIME"] == 0.5
        assert dims["TIME"] + dims["PARKING_TIME"] == cdr["total_time"] and cdr["total_parking_time"] == 0.5
    assert lines[f"{efl}-C"]["last_updated"] == "2024-03-20T15:00:00Z"  # issued with the re-pricing
    assert lines[efl]["last_updated"] == "2024-03-10T00:00:00Z"
    for cdr in lines.values():
        start, end = (datetime.fromisoformat(cdr[k].replace("Z", "+00:00")) for k in
                      ("start_date_time", "end_date_time"))
        assert abs(cdr["total_time"] - (end - start).total_seconds() / 3600) < 0.0001


@pytest.mark.parametrize("standard, current, country, expected", [
    ("CCS", "DC", "US", ("IEC_62196_T1_COMBO", "CABLE", "DC")),
    ("CCS", "DC", "NL", ("IEC_62196_T2_COMBO", "CABLE", "DC")),
    ("Type 1", "AC", "US", ("IEC_62196_T1", "CABLE", "AC_1_PHASE")),
    ("Type 2", "AC", "DE", ("IEC_62196_T2", "SOCKET", "AC_3_PHASE")),
    ("CHAdeMO", "DC", "JP", ("CHADEMO", "CABLE", "DC")),
])
def test_ocpi_connector_by_region(standard, current, country, expected):
    from chargeledger.roaming.ocpi.cdr import connector
    found = connector(standard, current, country)
    assert (found["connector_standard"], found["connector_format"], found["connector_power_type"]) == expected


def test_oicp_session_ids_are_guids_and_meter_end_never_below_start(engine, cdrs, tmp_path):
    from chargeledger.storage.tables import sessions
    guid = "7b3c1e52-1d2f-4a6b-9c8d-0e1f2a3b4c5d"
    given = record_session(engine, "hub-guid", datetime(2024, 3, 9, 9, tzinfo=UTC), 45, 7_000, network="Hubject")
    settle(engine, given, "2.00")
    with engine.begin() as conn:  # Hubject sent its GUID as the CDR ID for this one
        summary = conn.execute(select(sessions.c.summary).where(sessions.c.id == given)).scalar()
        summary["roaming"]["roaming_cdr_id"] = guid
        conn.execute(update(sessions).where(sessions.c.id == given).values(summary=summary))
        summary = conn.execute(select(sessions.c.summary).where(sessions.c.id == cdrs["hub"])).scalar()
        summary["meter_start_wh"], summary["meter_stop_wh"] = 90_000, 2_000  # a meter replaced mid-session
        conn.execute(update(sessions).where(sessions.c.id == cdrs["hub"]).values(summary=summary))
    export(engine, "oicp", tmp_path / "cdrs.jsonl", network="Hubject")
    text = (tmp_path / "cdrs.jsonl").read_text()
    records = {r["CPOPartnerSessionID"]: r for r in map(json.loads, text.splitlines())}
    for record in records.values():
        assert str(uuid.UUID(record["SessionID"])) == record["SessionID"]  # "CDR-hub-1" is no GUID
        assert record.get("MeterValueEnd", 0) >= record.get("MeterValueStart", 0)
    assert records[str(given)]["SessionID"] == guid
    assert "MeterValueStart" not in records[str(cdrs["hub"])] and records[str(cdrs["hub"])]["ConsumedEnergy"] == 7.0
