"""The token book through the API and the CLI: per organisation, case-insensitive, audited; and what a charger is
told about a token over a real websocket (status, expiry, group id), in any case the charger spells it."""

from __future__ import annotations

from datetime import datetime, timezone

from ocpp.v16 import call
from sqlalchemy import select
from typer.testing import CliRunner

from chargeledger.cli.main import app as cli
from chargeledger.directory import registry
from chargeledger.domain.people import Driver
from chargeledger.storage.tables import audit_entries
from tests.builders import add_network, add_user_key, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, settled


def _keys(engine):
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "BOLT", "CP-9", country="DE")
    registry.add_driver(engine, Driver("DRV-1", "ACME", "Dana"))
    registry.add_driver(engine, Driver("DRV-9", "BOLT", "Bo"))
    support = add_user_key(engine, "sup@acme.example", ["ACME"], ["support"])
    reports = add_user_key(engine, "rep@acme.example", ["ACME"], ["reports"])
    bolt = add_user_key(engine, "sup@bolt.example", ["BOLT"], ["support"])
    return support, reports, bolt


async def test_tokens_are_kept_per_organisation_and_compared_without_case(engine):
    support, reports, bolt = _keys(engine)
    async with api(engine, None, support) as acme, api(engine, None, bolt) as other, \
            api(engine, None, reports) as reader:
        made = await acme.post("/api/tokens", json={"uid": "04A1b2C3", "driver_id": "DRV-1", "group_id": "FLEET-1",
                                                    "expires_at": "2030-01-01T00:00:00Z"})
        assert made.status_code == 201, made.text
        assert made.json()["organisation_id"] == "ACME" and made.json()["status"] == "Accepted"
        twice = await acme.post("/api/tokens", json={"uid": "04a1B2c3"})
        assert twice.status_code == 409  # the same token in another case
        # another organisation may hand out a card with the same number; it cannot see ACME's
        assert (await other.post("/api/tokens", json={"uid": "04A1B2C3"})).status_code == 201
        assert (await other.get("/api/tokens")).json()["items"][0]["organisation_id"] == "BOLT"
        assert (await other.post("/api/tokens", json={"uid": "X1", "driver_id": "DRV-1"})).status_code == 422
        assert (await other.post("/api/tokens", json={"uid": "X1", "organisation_id": "ACME"})).status_code == 403
        got = await acme.get("/api/tokens/04A1B2C3")
        assert got.json()["group_id"] == "FLEET-1" and got.json()["uid"] == "04A1b2C3"
        blocked = await acme.post("/api/tokens/04a1b2c3/block")
        assert blocked.json()["status"] == "Blocked"
        assert (await other.get("/api/tokens/04a1b2c3")).json()["status"] == "Accepted"  # BOLT's own card
        changed = await acme.patch("/api/tokens/04A1B2C3", json={"status": "Accepted", "clear": ["expires_at"]})
        assert changed.json()["expires_at"] is None and changed.json()["status"] == "Accepted"
        assert (await acme.patch("/api/tokens/04A1B2C3", json={"status": "Lost"})).status_code == 422
        assert (await acme.patch("/api/tokens/NOPE", json={"status": "Blocked"})).status_code == 404
        assert (await acme.post("/api/tokens", json={"uid": "T2", "expires_at": "2030-01-01T00:00:00"})
                ).status_code == 422  # no offset
        assert (await reader.get("/api/tokens")).status_code == 403
        imported = await acme.post("/api/tokens/import", content="uid,status,group_id\nCARD-A,Accepted,FLEET-1\n"
                                   "04a1b2c3,Blocked,\n", headers={"Content-Type": "text/csv"})
        assert imported.json() == {"added": 1, "updated": 1}, imported.text
        bad = await acme.post("/api/tokens/import", content="uid,status\nCARD-B,Lost\n",
                              headers={"Content-Type": "text/csv"})
        assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
        foreign = await acme.post("/api/tokens/import", content="uid,driver_id\nCARD-D,DRV-1\nCARD-E,DRV-9\n",
                                  headers={"Content-Type": "text/csv"})  # DRV-9 is BOLT's driver
        assert foreign.status_code == 422 and "line 3: unknown driver DRV-9" in foreign.json()["detail"]
        assert (await acme.get("/api/tokens/CARD-D")).status_code == 404  # all or nothing
        listed = (await acme.get("/api/tokens", params={"search": "card"})).json()["items"]
        assert [t["uid"] for t in listed] == ["CARD-A"]
        assert (await other.delete("/api/tokens/card-a")).status_code == 404  # ACME's, not BOLT's
        assert (await acme.delete("/api/tokens/card-a")).json()["uid"] == "CARD-A"
        assert (await acme.get("/api/tokens/CARD-A")).status_code == 404
    with engine.connect() as conn:
        actions = list(conn.execute(select(audit_entries.c.action).where(
            audit_entries.c.organisation_id == "ACME")).scalars())
    assert actions == ["token.add", "token.block", "token.change", "token.import", "token.remove"]


def test_the_command_line_adds_blocks_lists_and_imports(engine, tmp_path, monkeypatch):
    add_network(engine)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    added = runner.invoke(cli, ["token", "add", "aa11", "--org", "ACME", "--group", "G1",
                                "--expires", "2031-05-01T00:00:00Z"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["token", "add", "AA11", "--org", "ACME"]).exit_code == 2  # exists, any case
    assert runner.invoke(cli, ["token", "block", "AA11", "--org", "ACME"]).exit_code == 0
    file = tmp_path / "cards.csv"
    file.write_text("uid,status,expires_at\nBB22,Accepted,2030-01-01T00:00:00Z\n")
    assert runner.invoke(cli, ["token", "import", str(file), "--org", "ACME"]).exit_code == 0
    listed = runner.invoke(cli, ["token", "list", "--org", "ACME"])
    assert listed.stdout.splitlines() == ["aa11\tBlocked\t2031-05-01T00:00:00+00:00\tG1\t",
                                          "BB22\tAccepted\t2030-01-01T00:00:00+00:00\t\t"]
    file.write_text("uid,colour\nCC33,red\n")
    refused = runner.invoke(cli, ["token", "import", str(file), "--org", "ACME"])
    assert refused.exit_code == 2 and "colour" in refused.output


async def test_chargers_are_told_status_expiry_and_group_in_any_case(engine):
    support, _reports, _bolt = _keys(engine)
    async with api(engine, None, support) as acme:
        for body in ({"uid": "Fleet-Card", "group_id": "FLEET-1", "expires_at": "2099-01-01T00:00:00Z"},
                     {"uid": "lost-card", "status": "Blocked"},
                     {"uid": "old-card", "expires_at": "2020-01-01T00:00:00Z"}):
            assert (await acme.post("/api/tokens", json=body)).status_code == 201
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        info = (await cp.call(call.Authorize(id_tag="FLEET-CARD"))).id_tag_info
        assert info == {"status": "Accepted", "expiry_date": "2099-01-01T00:00:00Z", "parent_id_tag": "FLEET-1"}
        assert (await cp.call(call.Authorize(id_tag="LOST-CARD"))).id_tag_info["status"] == "Blocked"
        assert (await cp.call(call.Authorize(id_tag="Old-Card"))).id_tag_info["status"] == "Expired"
        # the charger started anyway (an offline start): the session is flagged, not refused
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="LOST-CARD", meter_start=0,
                                                      timestamp=iso(at(0))))
        assert started.id_tag_info["status"] == "Blocked"
        ok = await cp.call(call.StartTransaction(connector_id=1, id_tag="fleet-card", meter_start=0,
                                                 timestamp=iso(at(30))))
        await settled(gateway)
        async with api(engine, gateway, support) as acme:
            flagged = (await acme.get(f"/api/sessions/{started.transaction_id}")).json()
            fine = (await acme.get(f"/api/sessions/{ok.transaction_id}")).json()
    refused = [f for f in flagged["flags"] if f["code"] == "token_not_accepted"]
    assert len(refused) == 1 and "Blocked" in refused[0]["detail"], flagged["flags"]
    assert "token_not_accepted" not in [f["code"] for f in fine["flags"]]
    assert fine["identity"]["id_token"] == "fleet-card"  # as the charger sent it
