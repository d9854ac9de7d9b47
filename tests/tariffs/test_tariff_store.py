"""Tariffs in storage: versions, most specific assignment wins within its validity, exact OCPI export, API 422."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chargeledger.http.app import create_app
from chargeledger.pricing import ocpi_json
from chargeledger.tariffs import store
from tests.builders import T0, add_network, add_user_key
from tests.settlement.helpers import TOU_TARIFF, tariff_text


def _tariff(tid: str, price: str) -> str:
    return tariff_text({**TOU_TARIFF, "id": tid, "elements": [
        {"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}]})


def test_most_specific_assignment_wins_within_its_validity(engine):
    add_network(engine)
    for tid in ("ORG", "SITE", "STATION", "EVSE"):
        store.save_tariff(engine, "ACME", _tariff(tid, "0.30"))
    store.assign(engine, "ORG", "organisation", "ACME")
    store.assign(engine, "SITE", "site", "ACME-SITE")
    store.assign(engine, "STATION", "station", "CP-1", T0, T0 + timedelta(days=1))
    store.assign(engine, "EVSE", "evse", "NL*ACM*ECP1*1", T0 + timedelta(days=10))
    where = dict(organisation_id="ACME", site_id="ACME-SITE", station_id="CP-1", evse_id="NL*ACM*ECP1*1")
    assert store.tariff_in_force(engine, T0 - timedelta(hours=1), **where).tariff_id == "SITE"
    assert store.tariff_in_force(engine, T0, **where).tariff_id == "STATION"
    assert store.tariff_in_force(engine, T0 + timedelta(days=1), **where).tariff_id == "SITE"  # valid_to exclusive
    assert store.tariff_in_force(engine, T0 + timedelta(days=10), **where).tariff_id == "EVSE"
    assert store.tariff_in_force(engine, T0, "ACME").tariff_id == "ORG"


def test_every_edit_is_a_version_and_export_is_the_exact_ocpi_json(engine):
    add_network(engine)
    text = _tariff("T1", "0.250")
    assert store.save_tariff(engine, "ACME", text).version == 1
    assert store.save_tariff(engine, "ACME", _tariff("T1", "0.30")).version == 2
    assert ocpi_json.loads(store.get_tariff(engine, "T1", 1).to_json()) == ocpi_json.loads(text)
    assert '"price": 0.250' in store.get_tariff(engine, "T1", 1).to_json()  # digits kept, a number not a string
    assert [v.version for v in store.versions_of(engine, "T1")] == [1, 2]


def test_api_refuses_a_bad_tariff_with_the_exact_field_and_reason(engine):
    add_network(engine)
    key = add_user_key(engine, "net@acme.example", ["ACME"], ["stations"])
    client = TestClient(create_app(engine))
    bad = {**TOU_TARIFF, "elements": [{"price_components": [{"type": "ENERGY", "price": -1, "step_size": 1}]}]}
    answer = client.post("/api/tariffs?organisation=ACME", content=json.dumps(bad),
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert {"field": "elements[0].price_components[0].price", "reason": answer.json()["errors"][0]["reason"]} \
        in answer.json()["errors"]
    assert store.list_tariffs(engine, {"ACME"}) == []  # nothing stored
    good = client.post("/api/tariffs?organisation=ACME", content=_tariff("T1", "0.25"),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert good.status_code == 201 and good.json()["version"] == 1
    put = client.put("/api/tariffs/T1", content=_tariff("T1", "0.35"),
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert put.status_code == 201 and put.json()["version"] == 2
    exported = client.get("/api/tariffs/T1/ocpi?version=1", headers={"Authorization": f"Bearer {key}"})
    assert ocpi_json.loads(exported.text) == ocpi_json.loads(_tariff("T1", "0.25"))


def test_cli_adds_assigns_and_exports(tmp_path, monkeypatch, sqlite_engine):
    add_network(sqlite_engine)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", str(sqlite_engine.url))
    from chargeledger.cli.main import app

    path = tmp_path / "t.json"
    path.write_text(_tariff("CLI-1", "0.42"))
    runner = CliRunner()
    added = runner.invoke(app, ["tariff", "add", str(path), "--org", "ACME", "--station", "CP-1",
                                "--from", "2024-01-01T00:00:00Z"])
    assert added.exit_code == 0, added.output
    assert store.tariff_in_force(sqlite_engine, T0, "ACME", station_id="CP-1").tariff_id == "CLI-1"
    exported = runner.invoke(app, ["tariff", "export", "CLI-1"])
    assert ocpi_json.loads(exported.stdout) == ocpi_json.loads(path.read_text())
    path.write_text('{"id": "X", "currency": "EURO", "elements": []}')
    refused = runner.invoke(app, ["tariff", "add", str(path), "--org", "ACME"])
    assert refused.exit_code == 2 and "currency" in refused.output
