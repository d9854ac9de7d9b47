"""Partner CDRs in through the CLI and the real ledger: good rows imported, bad rows reported, re-import adds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from chargeledger.cli.main import app
from chargeledger.storage.tables import sessions

from tests.builders import add_network

DATA = Path(__file__).parent / "data"


def _run(engine, monkeypatch, *args):
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return CliRunner().invoke(app, list(args))


def test_import_eviolin_sample_then_reimport_adds_nothing(engine, monkeypatch, tmp_path):
    add_network(engine, "ALL", "CP-A", evse_ids=("NL*ALL*EGO002953", "NL*ALL*EGO000927"))
    sample = DATA / "sample_eviolin_cdr_from_eflux_test.csv"
    result = _run(engine, monkeypatch, "import", "cdrs", str(sample), "--format", "eviolin")
    assert result.exit_code == 1  # two rows name charge points we do not have
    assert "2 imported" in result.output and "line 4: unknown charge point 'NLALLEGO000850'" in result.output
    with engine.connect() as conn:
        rows = conn.execute(select(sessions).order_by(sessions.c.started_at)).all()
    assert len(rows) == 2
    first = rows[0]
    assert first.network == "OCPI" and first.energy_wh == 22060.0  # decimal comma read as 22.06 kWh
    assert first.summary["roaming"]["roaming_cdr_id"] == "4391842"
    assert first.summary["roaming"]["provider_id"] == "NLEFL"
    again = _run(engine, monkeypatch, "import", "cdrs", str(sample), "--format", "eviolin")
    assert "0 imported, 2 already known" in again.output
    with engine.connect() as conn:
        assert len(conn.execute(select(sessions.c.id)).all()) == 2


def test_import_semicolon_file_with_bad_rows(engine, monkeypatch, tmp_path):
    add_network(engine, "ALL", "CP-A", evse_ids=("NL*ALL*EGO002953",))
    header = ("CDR_ID;Start_datetime;End_datetime;Duration;Volume;Charge_Point_Address;Charge_Point_ZIP;"
              "Charge_Point_City;Charge_Point_Country;Charge_Point_Type;Product_Type;Tariff_Type;Authentication_ID;"
              "Contract_ID;Meter_ID;OBIS_Code;Charge_Point_ID;Service_Provider_ID;Infra_Provider_ID;Calculated_Cost")
    good = "A1;2024-03-01T10:00:00+00:00;2024-03-01T11:00:00+00:00;01:00:00;7,5;x;1;y;NLD;3;3;0;TOK;C1;;;NLALLEGO002953;NLEFL;NLALL;1,23"
    bad_volume = "A2;2024-03-01T10:00:00+00:00;2024-03-01T11:00:00+00:00;01:00:00;lots;x;1;y;NLD;3;3;0;TOK;C1;;;NLALLEGO002953;NLEFL;NLALL;1,23"
    naive = "A3;2024-03-01T10:00:00;2024-03-01T11:00:00+00:00;01:00:00;1;x;1;y;NLD;3;3;0;TOK;C1;;;NLALLEGO002953;NLEFL;NLALL;1"
    path = tmp_path / "partner.csv"
    path.write_text("\n".join([header, good, bad_volume, naive]) + "\n", encoding="utf-8")
    result = _run(engine, monkeypatch, "import", "cdrs", str(path), "--format", "eviolin", "--network", "Girève")
    assert "line 3: Volume 'lots' is not a number" in result.output
    assert "line 4: Start_datetime '2024-03-01T10:00:00' has no UTC offset" in result.output
    assert "1 imported" in result.output
    with engine.connect() as conn:
        (row,) = conn.execute(select(sessions)).all()
    assert row.energy_wh == 7500.0 and row.network == "Girève"


def test_report_cli_writes_a_file_and_refuses_bad_input(engine, monkeypatch, tmp_path):
    add_network(engine)
    out = tmp_path / "s.csv"
    ok = _run(engine, monkeypatch, "report", "statement", "--from", "2024-03-01", "--to", "2024-04-01",
              "--timezone", "Europe/Amsterdam", "--format", "csv", "-o", str(out))
    assert ok.exit_code == 0 and out.read_text(encoding="utf-8").startswith("\ufeffSession Date,Session ID,")
    bad = _run(engine, monkeypatch, "report", "statement", "--from", "2024-03-01", "--to", "2024-04-01",
               "--timezone", "Moon/Base", "-o", str(tmp_path / "bad.csv"))
    assert bad.exit_code == 2 and "unknown time zone" in bad.output and not (tmp_path / "bad.csv").exists()
    nope = _run(engine, monkeypatch, "report", "revenue", "--from", "2024-03-01", "--to", "2024-04-01",
                "-o", str(tmp_path / "bad.csv"))
    assert nope.exit_code == 2 and "unknown report" in nope.output


_HEADER = ("CDR_ID;Start_datetime;End_datetime;Duration;Volume;Charge_Point_Address;Charge_Point_ZIP;"
           "Charge_Point_City;Charge_Point_Country;Charge_Point_Type;Product_Type;Tariff_Type;Authentication_ID;"
           "Contract_ID;Meter_ID;OBIS_Code;Charge_Point_ID;Service_Provider_ID;Infra_Provider_ID;Calculated_Cost")


def _cdr_file(path, volume, cost):
    row = (f"A1;2024-03-01T10:00:00+00:00;2024-03-01T11:00:00+00:00;01:00:00;{volume};x;1;y;NLD;3;3;0;TOK;C1;;;"
           f"NLALLEGO002953;NLEFL;NLALL;{cost}")
    path.write_text(_HEADER + "\n" + row + "\n", encoding="utf-8")
    return str(path)


def test_partner_cdr_sent_again_with_other_figures_reprices_the_session(engine, monkeypatch, tmp_path):
    """Issue 12: a partner CDR is a finished session, settled and invoiced at import; the same CDR sent again with
    corrected figures re-prices it as a new version and the invoice follows; sent once more it changes nothing."""
    from decimal import Decimal

    from chargeledger.payments.store import payments_of
    from chargeledger.settlement.store import settlements_of
    from chargeledger.tariffs import store as tariffs
    from tests.settlement.helpers import tariff_text

    add_network(engine, "ALL", "CP-A", evse_ids=("NL*ALL*EGO002953",))
    stored = tariffs.save_tariff(engine, "ALL", tariff_text({
        "country_code": "NL", "party_id": "ALL", "id": "KWH", "currency": "EUR", "type": "REGULAR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": "0.40", "vat": "21.0", "step_size": 1}]}],
        "last_updated": "2024-01-01T00:00:00Z"}))
    tariffs.assign(engine, stored.tariff_id, "site", "ALL-SITE")
    # the file's Calculated_Cost is excl. VAT (as our eViolin export writes it); the session keeps it, with our
    # tariff's VAT: 3.00 -> 3.63, 4.00 -> 4.84
    first = _run(engine, monkeypatch, "import", "cdrs", _cdr_file(tmp_path / "a.csv", "7,5", "3,00"),
                 "--format", "eviolin")
    assert "1 imported" in first.output, first.output
    with engine.connect() as conn:
        (session_id,) = conn.execute(select(sessions.c.id)).scalars().all()
    assert [Decimal(s["payment_total"]) for s in settlements_of(engine, session_id)] == [Decimal("3.63")]

    corrected = _run(engine, monkeypatch, "import", "cdrs", _cdr_file(tmp_path / "b.csv", "10", "4,00"),
                     "--format", "eviolin")
    assert "0 imported, 0 already known, 1 corrected" in corrected.output, corrected.output
    again = _run(engine, monkeypatch, "import", "cdrs", str(tmp_path / "b.csv"), "--format", "eviolin")
    assert "0 imported, 1 already known, 0 corrected" in again.output, again.output

    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one()
        assert len(conn.execute(select(sessions.c.id)).all()) == 1  # the correction is the same session
    assert row.energy_wh == 10000.0
    versions = settlements_of(engine, session_id)
    assert [(s["version"], Decimal(s["payment_total"])) for s in versions] == [(1, Decimal("3.63")),
                                                                               (2, Decimal("4.84"))]
    (payment,) = payments_of(engine, session_id)
    assert Decimal(payment["amount_due"]) == Decimal("4.84")  # invoiced to the partner: the invoice follows


def test_short_and_malformed_eviolin_rows_are_reported_by_line_and_good_rows_imported(engine, monkeypatch, tmp_path):
    add_network(engine, "ALL", "CP-A", evse_ids=("NL*ALL*EGO002953",))
    header = ("CDR_ID,Start_datetime,End_datetime,Duration,Volume,Charge_Point_Address,Charge_Point_ZIP,"
              "Charge_Point_City,Charge_Point_Country,Charge_Point_Type,Product_Type,Tariff_Type,Authentication_ID,"
              "Contract_ID,Meter_ID,OBIS_Code,Charge_Point_ID,Service_Provider_ID,Infra_Provider_ID,Calculated_Cost")
    row = ("{id},2024-03-01T10:00:00+00:00,2024-03-01T11:00:00+00:00,01:00:00,\"7,5\",\"Main\nStreet\",1,y,NLD,3,3,"
           "0,TOK,C1,,,NLALLEGO002953,NLEFL,NLALL,\"1,23\"")
    short = "B1,2024-03-01T10:00:00+00:00,2024-03-01T11:00:00+00:00"
    path = tmp_path / "partner.csv"
    # line 2-3: a good row whose address spans two lines; 4: short; 5-6: good; 7: an open quote to the end
    path.write_text("\n".join([header, row.format(id="G1"), short, row.format(id="G2"), 'B2,"never closed'])
                    + "\n", encoding="utf-8")
    result = _run(engine, monkeypatch, "import", "cdrs", str(path), "--format", "eviolin")
    assert result.exit_code == 1 and isinstance(result.exception, (SystemExit, type(None)))  # no crash
    assert "line 4: the row has 3 fields, the header 20" in result.output
    assert "line 7:" in result.output
    assert "2 imported" in result.output and "2 refused" in result.output
    with engine.connect() as conn:
        assert len(conn.execute(select(sessions.c.id)).all()) == 2


def test_an_imported_partner_cdr_keeps_the_cost_its_file_gave(engine, monkeypatch, tmp_path):
    import zipfile
    from decimal import Decimal

    from chargeledger.settlement.store import current_settlement
    add_network(engine, "ALL", "CP-A", evse_ids=("NL*ALL*EGO002953",))
    header = ("CDR_ID;Start_datetime;End_datetime;Duration;Volume;Charge_Point_Address;Charge_Point_ZIP;"
              "Charge_Point_City;Charge_Point_Country;Charge_Point_Type;Product_Type;Tariff_Type;Authentication_ID;"
              "Contract_ID;Meter_ID;OBIS_Code;Charge_Point_ID;Service_Provider_ID;Infra_Provider_ID;Calculated_Cost")
    row = "K1;2024-03-01T10:00:00+00:00;2024-03-01T11:00:00+00:00;01:00:00;7,5;x;1;y;NLD;3;3;0;TOK;C1;;;" \
          "NLALLEGO002953;NLEFL;NLALL;3,4567"
    path = tmp_path / "partner.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    assert "1 imported" in _run(engine, monkeypatch, "import", "cdrs", str(path), "--format", "eviolin").output
    with engine.connect() as conn:
        (session_id,) = conn.execute(select(sessions.c.id)).scalars().all()
    settled = current_settlement(engine, session_id)
    assert Decimal(settled["total_cost_excl_vat"]) == Decimal("3.4567")  # not re-priced by our tariff (free: 0)
    out = tmp_path / "cdrs.zip"
    exported = _run(engine, monkeypatch, "export", "cdrs", "--format", "eviolin", "--from", "2024-01-01",
                    "--to", "2030-01-01", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as archive:
        text = archive.read("cdrs_NLEFL.csv").decode("utf-8")
    assert text.splitlines()[1].endswith(",\"3,4567\"") or text.splitlines()[1].endswith(",3,4567")
