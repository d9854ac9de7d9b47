"""A partner cannot make ChargeLedger call internal addresses (SSRF): its versions URL, endpoints and a command's
response_url must name an allowed host that resolves to a public address or an allowed network (ocpi/allowed.py).
The peers here are on 127.0.0.1, which conftest allows; 127.0.0.2 stands for an internal service."""

from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager

import httpx
import pytest

from chargeledger.ocpi import partners
from chargeledger.ocpi.allowed import UrlRefused, check
from chargeledger.ocpi.settings import OcpiSettings
from tests.http.live import serving
from tests.ocpi_live.network import published_network, registered_peer
from tests.ocpi_live.peer import COUNTRY, PARTY, running_peer


@contextmanager
def internal_service():
    """A service on 127.0.0.2 that only notes that someone connected (answering like a metadata service would)."""
    hits: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            hits.append(self.request.recv(4096))
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    server = socketserver.ThreadingTCPServer(("127.0.0.2", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.2:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_hostile_registration_cannot_make_us_call_internal_addresses(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer, internal_service() as (internal, hits):
        partner, token_a = partners.invite(engine, "ACME", "Hostile eMSP", COUNTRY, PARTY)
        for versions_at in (f"http://{internal}/latest/meta-data", f"http://2130706434:{internal.split(':')[1]}/",
                            f"http://[::ffff:127.0.0.2]:{internal.split(':')[1]}/", "file:///etc/passwd",
                            f"http://user:pw@{internal}/"):
            peer.versions_at = versions_at
            answer = peer.register(f"{base}/ocpi/versions", token_a)
            assert answer.json()["status_code"] == 3001, (versions_at, answer.text)
            assert "not called" in answer.json()["status_message"]
        # its versions are fine, but its modules are said to be at the cloud metadata address
        peer.versions_at, peer.endpoints_at = None, "http://169.254.169.254"
        answer = peer.register(f"{base}/ocpi/versions", token_a)
        assert answer.json()["status_code"] == 3001 and "169.254.169.254" in answer.json()["status_message"]
        assert hits == [] and partners.get(engine, partner.id).status == "invited"  # nothing called, token A kept
        peer.endpoints_at = None
        assert peer.register(f"{base}/ocpi/versions", token_a).json()["status_code"] == 1000
        # registered: a command whose result would go to the internal service is refused at once
        command = {"response_url": f"http://{internal}/admin", "location_id": "ACME-SITE", "evse_uid": "x",
                   "connector_id": "1"}
        refused = peer.send("POST", "commands", "/UNLOCK_CONNECTOR", command)
        assert refused.status_code == 400 and refused.json()["status_code"] == 2001, refused.text
        assert hits == []


def test_the_operator_allow_list_names_partner_hosts(engine, monkeypatch):
    published_network(engine)
    monkeypatch.setenv("CHARGELEDGER_OCPI_ALLOWED_HOSTS", '["*.gireve.example", "emsp.example"]')
    with serving(engine) as (base, _app), running_peer() as peer:
        partner, token_a = partners.invite(engine, "ACME", "Test eMSP", COUNTRY, PARTY)
        answer = peer.register(f"{base}/ocpi/versions", token_a)
        assert answer.json()["status_code"] == 3001 and "ocpi.allowed_hosts" in answer.json()["status_message"]
        assert peer.received == []
        monkeypatch.setenv("CHARGELEDGER_OCPI_ALLOWED_HOSTS", '["127.0.0.1"]')
        registered_peer(engine, base, peer)


def test_an_allowed_host_with_a_public_address_and_an_allowed_network_pass(monkeypatch):
    check("http://127.0.0.1:9/versions", OcpiSettings(allowed_networks=["127.0.0.0/8"]))
    public = [(2, 1, 6, "", ("93.184.215.14", 443))]  # what the name resolves to, without asking a DNS server
    monkeypatch.setattr("socket.getaddrinfo", lambda *_a, **_k: public)
    check("https://ocpi.gireve.example/versions", OcpiSettings(allowed_hosts=["*.gireve.example"]))
    with pytest.raises(UrlRefused, match="allowed_hosts"):
        check("https://gireve.example.evil/versions", OcpiSettings(allowed_hosts=["*.gireve.example"]))


@pytest.mark.parametrize("url", ["http://10.0.0.7/", "http://192.168.1.1/", "http://[::1]/", "http://0.0.0.0/",
                                 "http://100.64.0.1/", "http://[fe80::1]/", "http://224.0.0.1/", "ftp://127.0.0.1/",
                                 "http:///nohost"])
def test_private_link_local_loopback_and_odd_urls_are_refused_by_default(url):
    with pytest.raises(UrlRefused):
        check(url, OcpiSettings())
