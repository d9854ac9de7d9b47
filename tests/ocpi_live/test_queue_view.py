"""The operator sees each partner's queue: pending (retried, with the partner's answer), refused and sent; on the
page, in the API and in the CLI; another organisation's partners stay hidden."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import update
from typer.testing import CliRunner

from chargeledger.cli.main import app as cli
from chargeledger.ocpi import queue
from chargeledger.storage.tables import ocpi_pushes
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, add_user_key
from tests.http.live import serving
from tests.ocpi_live.network import published_network, registered_peer
from tests.ocpi_live.peer import running_peer
from tests.settlement.helpers import tariff_text


def test_the_queue_per_partner_on_the_page_the_api_and_the_cli(engine, monkeypatch):
    published_network(engine)
    add_network(engine, "BOLT", "CP-9", country="DE")
    own = {"Authorization": "Bearer " + add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])}
    other = {"Authorization": "Bearer " + add_user_key(engine, "ops@bolt.example", ["BOLT"], ["stations"])}
    with serving(engine) as (base, _app), running_peer() as peer, httpx.Client(base_url=base, timeout=30) as http:
        registered_peer(engine, base, peer)
        peer.refuse.add("tariffs")
        tariffs.save_tariff(engine, "ACME", tariff_text())  # refused by the partner: failed, with its answer
        assert queue.deliver(engine) == 0
        peer.down = True
        tariffs.save_tariff(engine, "ACME", tariff_text().replace("0.40", "0.45"))  # waits while it is down
        queue.deliver(engine)
        with engine.begin() as conn:  # the next try is due now instead of in a second
            conn.execute(update(ocpi_pushes).where(ocpi_pushes.c.state == "pending").values(
                next_attempt_at=ocpi_pushes.c.created_at))
        peer.down, peer.refuse = False, set()
        api = http.get("/api/ocpi/partners", headers=own).json()["partners"]
        page = http.get("/roaming/ocpi", headers=own)
        hidden = http.get("/api/ocpi/partners", headers=other).json()["partners"]
        hidden_page = http.get("/roaming/ocpi", headers=other).text
        monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        listed = json.loads(CliRunner().invoke(cli, ["ocpi", "partner", "list"]).stdout.splitlines()[0])
        refused_cli = [json.loads(line) for line in
                       CliRunner().invoke(cli, ["ocpi", "queue", "--state", "failed"]).stdout.splitlines()]
        assert queue.deliver(engine) == 1  # back: the waiting push goes
    (partner,) = api
    assert (partner["failed"], partner["pending"], partner["retrying"], partner["sent"]) == (1, 1, 1, 0)
    assert "HTTP 503" in partner["last_error"]
    refused = next(w for w in partner["waiting"] if w["state"] == "failed")
    assert "OCPI 2001" in refused["last_error"] and "we do not like this one" in refused["last_error"]
    assert page.status_code == 200 and "1 pending (1 being retried), 1 refused, 0 sent" in " ".join(page.text.split())
    assert "we do not like this one" in page.text and 'href="/roaming/ocpi"' in page.text  # in the main menu
    assert hidden == [] and "Test eMSP" not in hidden_page
    assert (listed["pending"], listed["failed"], listed["retrying"]) == (1, 1, 1) and listed["status"] == "registered"
    assert [(r["module"], r["object_id"]) for r in refused_cli] == [("tariffs", "TOU-1")]
    assert "we do not like this one" in refused_cli[0]["last_error"]
