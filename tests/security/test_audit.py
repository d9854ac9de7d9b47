"""Every operator action is in the audit trail with who, when and from where; refused requests are not; each
organisation reads only its own entries (issue 13, "Audit"). Through the real HTTP server and the CLI."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from typer.testing import CliRunner

from chargeledger.access import audit
from chargeledger.storage.tables import audit_entries
from tests.builders import add_network, add_user_key
from tests.http.live import serving
from tests.payments.test_refunds_api import _setup
from tests.settlement.helpers import tariff_text


def _trail(engine, **where):
    return audit.entries(engine, ["ACME", "BOLT"], **where)


def test_money_and_session_actions_are_recorded_with_who_and_from_where(engine):
    sid, _client, auth = _setup(engine)
    finance = {"Authorization": "Bearer " + add_user_key(engine, "fin@acme.example", ["ACME"],
                                                         ["finance", "stations", "support"])}
    with serving(engine) as (base, _app), httpx.Client(base_url=base, timeout=30) as http:
        refund = {"amount": "1.00", "currency": "EUR", "reason": "slow charger", "idempotency_key": "a1"}
        assert http.post(f"/api/sessions/{sid}/refunds", headers=auth, json=refund).status_code == 201
        assert http.post(f"/api/sessions/{sid}/refunds", headers=auth, json=refund).status_code == 200  # replay
        too_much = {**refund, "amount": "99.00", "idempotency_key": "a2"}
        assert http.post(f"/api/sessions/{sid}/refunds", headers=auth, json=too_much).status_code == 422
        assert http.post(f"/api/sessions/{sid}/reprice", headers=finance,
                         json={"reason": "meter corrected"}).status_code == 200
        saved = http.post("/api/tariffs", params={"organisation": "ACME"}, headers=finance,
                          content=tariff_text().replace("TOU-1", "AUDIT-1"))
        assert saved.status_code == 201
        assert http.post("/api/tariffs/AUDIT-1/assignments", headers=finance,
                         json={"scope": "site", "scope_id": "ACME-SITE"}).status_code == 201
        assert http.delete("/api/tariffs/AUDIT-1", headers=finance).status_code == 200
        assert http.post(f"/api/sessions/{sid}/force-close", headers=finance, json={"why": "x"}).status_code == 409
    on_session = _trail(engine, target_kind="session", target_id=str(sid))
    assert [e["action"] for e in on_session] == ["session.reprice", "payment.refund"]  # newest first
    refund_entry = on_session[1]
    assert refund_entry["actor"] == "sup@acme.example" and refund_entry["via"] == "api"
    assert refund_entry["address"] == "127.0.0.1" and refund_entry["details"]["amount"] == "1.00"
    assert refund_entry["organisation_id"] == "ACME"
    assert [e["action"] for e in _trail(engine, target_kind="tariff", target_id="AUDIT-1")] == [
        "tariff.withdraw", "tariff.assign", "tariff.save"]


def test_the_trail_is_scoped_filtered_and_paged(engine):
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "BOLT", "CP-9", country="DE")
    cli = audit.Actor.command_line()
    for n in range(55):
        audit.record(engine, cli, audit.Action("station.command", "station", "CP-1", "ACME", {"n": n}))
    audit.record(engine, cli, audit.Action("station.command", "station", "CP-9", "BOLT"))
    acme = {"Authorization": "Bearer " + add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])}
    bolt = {"Authorization": "Bearer " + add_user_key(engine, "ops@bolt.example", ["BOLT"], ["support"])}
    with serving(engine) as (base, _app), httpx.Client(base_url=base, timeout=30) as http:
        first = http.get("/api/audit", headers=acme).json()
        second = http.get("/api/audit", headers=acme, params={"cursor": first["next_cursor"]}).json()
        assert len(first["items"]) == 50 and len(second["items"]) == 5 and second["next_cursor"] is None
        assert {e["target_id"] for e in first["items"] + second["items"]} == {"CP-1"}
        assert [e["target_id"] for e in http.get("/api/audit", headers=bolt).json()["items"]] == ["CP-9"]
        assert http.get("/api/audit", headers=bolt, params={"target_id": "CP-1"}).json()["items"] == []
        for bad in ({"cursor": "1 OR 1=1"}, {"cursor": "9" * 40}, {"since": "yesterday"}, {"until": "2024-01-01T00:00:00"}):
            answer = http.get("/api/audit", headers=acme, params=bad)
            assert answer.status_code == 400, (bad, answer.text)


def test_command_line_changes_are_recorded(engine, monkeypatch):
    from chargeledger.cli.main import app
    add_network(engine)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    assert runner.invoke(app, ["user", "add", "new@acme.example", "--org", "ACME", "--right", "support",
                               "--password", "a long enough password"]).exit_code == 0
    assert runner.invoke(app, ["apikey", "create", "new@acme.example"]).exit_code == 0
    assert runner.invoke(app, ["station", "password", "CP-1"]).exit_code == 0
    trail = _trail(engine)
    assert [e["action"] for e in trail] == ["station.credentials", "apikey.create", "user.add"]
    assert all(e["via"] == "cli" and e["actor"].endswith("(command line)") for e in trail)
    with engine.connect() as conn:  # a key is shown once, never written to the trail
        stored = conn.execute(select(func.count()).select_from(audit_entries)).scalar()
    assert stored == 3
