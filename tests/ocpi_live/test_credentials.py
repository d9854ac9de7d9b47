"""Registration over real HTTP: our test eMSP against ChargeLedger's OCPI interface, both directions."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from chargeledger.cli.main import app as cli
from chargeledger.ocpi import partners
from tests.builders import add_network
from tests.http.live import serving
from tests.ocpi_live.peer import COUNTRY, PARTY, Peer, running_peer, token_header


def _invite(engine, base: str) -> tuple[str, str]:
    add_network(engine, "ACME", "CP-1")
    partner, token_a = partners.invite(engine, "ACME", "Test eMSP", COUNTRY, PARTY)
    return f"{base}/ocpi/versions", token_a


def test_an_emsp_registers_with_token_a_and_then_uses_token_c(engine):
    with serving(engine) as (base, _app), running_peer() as peer:
        versions_url, token_a = _invite(engine, base)
        answer = peer.register(versions_url, token_a)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status_code"] == 1000
        ours = body["data"]
        assert ours["url"] == versions_url and ours["token"] != token_a
        assert ours["roles"] == [{"role": "CPO", "business_details": {"name": "ACME Charging"},
                                  "party_id": "ACM", "country_code": "NL"}]
        # during its POST we fetched its versions and details with its token B, and stored its endpoints
        fetched = [r for r in peer.received if r.path.startswith("/ocpi/")]
        assert [r.path for r in fetched] == ["/ocpi/versions", "/ocpi/2.2.1"]
        assert all(r.headers["authorization"] == token_header(peer.token_b)["Authorization"] for r in fetched)
        assert fetched[0].headers["ocpi-from-party-id"] == "ACM" and fetched[0].headers["ocpi-to-party-id"] == PARTY
        stored = partners.listing(engine)[0]
        assert stored.status == "registered" and stored.their_token == peer.token_b
        assert stored.endpoint("cdrs") == f"{peer.base}/emsp/cdrs"
        with httpx.Client(timeout=30) as http:
            # token A is retired; token C works; a second POST is 405
            assert http.get(versions_url, headers=peer.headers(token_a)).status_code == 401
            assert http.get(versions_url, headers=peer.headers()).json()["status_code"] == 1000
            plain = {**peer.headers(), "Authorization": f"Token {peer.token_c}"}  # 2.1.1 style, not base64
            assert http.get(versions_url, headers=plain).json()["status_code"] == 1000
            read = http.get(peer.their_endpoints["credentials:SENDER"], headers=peer.headers()).json()["data"]
            assert read["token"] == peer.token_c and read["roles"][0]["party_id"] == "ACM"
            again = http.post(peer.their_endpoints["credentials:SENDER"], headers=peer.headers(),
                              json=peer.credentials())
            assert again.status_code == 405 and again.json()["status_code"] == 2000


def test_update_with_put_then_unregister_with_delete(engine):
    with serving(engine) as (base, _app), running_peer() as peer, httpx.Client(timeout=30) as http:
        peer.register(*_invite(engine, base))
        url = peer.their_endpoints["credentials:SENDER"]
        old_c = peer.token_c
        peer.token_b = "a-new-token-b"
        updated = http.put(url, headers=peer.headers(), json=peer.credentials())
        assert updated.status_code == 200, updated.text
        peer.token_c = updated.json()["data"]["token"]
        assert peer.token_c != old_c
        assert http.get(url, headers=peer.headers(old_c)).status_code == 401  # the old token C is gone
        assert partners.listing(engine)[0].their_token == "a-new-token-b"
        assert http.delete(url, headers=peer.headers()).json()["status_code"] == 1000
        refused = http.get(url, headers=peer.headers())
        assert refused.status_code == 401 and refused.json()["status_code"] == 2000
        assert partners.listing(engine)[0].status == "unregistered"


def test_transport_refusals_carry_an_ocpi_body_and_echo_ids(engine):
    with serving(engine) as (base, _app), running_peer() as peer, httpx.Client(timeout=30) as http:
        versions_url, token_a = _invite(engine, base)
        missing = http.get(versions_url, headers={"X-Request-ID": "req-1", "X-Correlation-ID": "cor-1"})
        assert missing.status_code == 401 and missing.json()["status_code"] == 2000
        assert missing.headers["x-request-id"] == "req-1" and missing.headers["x-correlation-id"] == "cor-1"
        assert http.get(versions_url, headers=token_header("nope")).status_code == 401
        # a PUT before registering is 405; a POST whose body is not Credentials is 2001
        url = f"{base}/ocpi/2.2.1/credentials"
        assert http.put(url, headers=peer.headers(token_a), json=peer.credentials()).status_code == 405
        bad = http.post(url, headers=peer.headers(token_a), json={"token": "x", "url": "y", "roles": []})
        assert bad.status_code == 400 and bad.json()["status_code"] == 2001
        # OCPI-from must be the partner's party
        wrong = http.get(versions_url, headers={**peer.headers(token_a), "OCPI-from-party-id": "XXX"})
        assert wrong.status_code == 400 and wrong.json()["status_code"] == 2001
        # a partner whose versions cannot be used gets 3001 and stays unregistered
        broken = Peer(base="http://127.0.0.1:9").credentials()
        failed = http.post(url, headers=peer.headers(token_a), json=broken)
        assert failed.json()["status_code"] == 3001, failed.text
        assert partners.listing(engine)[0].status == "invited"


def test_we_register_with_a_partner_that_invited_us(engine, monkeypatch):
    with serving(engine) as (base, _app), running_peer() as peer:
        add_network(engine, "ACME", "CP-1")
        monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
        runner = CliRunner()
        added = runner.invoke(cli, ["ocpi", "partner", "add", "Peer", "--org", "ACME", "--country-code", COUNTRY,
                                    "--party-id", PARTY, "--public-url", base])
        assert added.exit_code == 0, added.output
        printed = json.loads(added.stdout)
        assert printed["versions_url"] == f"{base}/ocpi/versions" and printed["token_a"]
        peer.issued_a = "token-a-from-the-peer"
        done = runner.invoke(cli, ["ocpi", "partner", "connect", str(printed["id"]), "--versions-url",
                                   f"{peer.base}/ocpi/versions", "--token-a", peer.issued_a, "--public-url", base])
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["status"] == "registered"
        # the peer now holds our token B and calls us with it; we call it with the token C it gave us
        with httpx.Client(timeout=30) as http:
            assert http.get(f"{base}/ocpi/versions", headers=peer.headers()).json()["status_code"] == 1000
        assert partners.listing(engine)[0].their_token == peer.token_b
        listed = runner.invoke(cli, ["ocpi", "partner", "list"])
        line = json.loads(listed.stdout.splitlines()[0])
        assert line["status"] == "registered" and "cdrs" in line["modules"]
