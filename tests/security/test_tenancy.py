"""Every route that names an object answers another organisation's caller 404 (or 403) and changes nothing.

The routes are enumerated from the application itself (its OpenAPI paths and the page routes), so a route added
later without scoping fails here until it is scoped, or is given a body below."""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from sqlalchemy import func, select, update

from chargeledger.directory import tokens as token_book
from chargeledger.http.app import create_app
from chargeledger.ocpi import partners as ocpi_partners
from chargeledger.reports.jobs import queue
from chargeledger.reports.request import build_request, caller_for_email
from chargeledger.storage.tables import (
    audit_entries, id_tokens, payments, refunds, session_events, sites, stations, tariff_assignments,
)
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, add_user_key
from tests.http.live import serving
from tests.payments.test_refunds_api import _setup
from tests.settlement.helpers import tariff_text

BODIES = {  # valid bodies, so a route gets past validation to its scoping
    ("POST", "/ocpi/cpo/2.2.1/commands/{command}"): {"json": {
        "response_url": "http://127.0.0.1:9/results/1", "location_id": "ACME-SITE", "evse_uid": "NL*ACM*ECP1*1",
        "token": {"country_code": "DE", "party_id": "EVL", "uid": "bolt-card", "type": "RFID", "contract_id": "C1",
                  "issuer": "x", "valid": True, "whitelist": "ALWAYS", "last_updated": "2024-01-01T00:00:00Z"}}},
    ("PUT", "/ocpi/cpo/2.2.1/tokens/{country_code}/{party_id}/{token_uid}"): {"json": {
        "country_code": "NL", "party_id": "ACM", "uid": "acme-card", "type": "RFID", "contract_id": "C1",
        "issuer": "x", "valid": True, "whitelist": "ALWAYS", "last_updated": "2024-01-01T00:00:00Z"}},
    ("PATCH", "/ocpi/cpo/2.2.1/tokens/{country_code}/{party_id}/{token_uid}"): {"json": {
        "valid": True, "last_updated": "2024-01-01T00:00:00Z"}},
    ("PUT", "/ocpi/cpo/2.2.1/sessions/{session_id}/charging_preferences"): {"json": {"profile_type": "GREEN"}},
    ("PUT", "/ocpi/cpo/2.2.1/hubclientinfo/{country_code}/{party_id}"): {"json": {
        "country_code": "NL", "party_id": "ACM", "role": "CPO", "status": "CONNECTED",
        "last_updated": "2024-01-01T00:00:00Z"}},
    ("PUT", "/api/sessions/{session_id}/custom-fields"): {"json": {"fields": {"a": 1}}},
    ("POST", "/api/sessions/{session_id}/flags/{code}/resolve"): {"json": {"reason": "x"}},
    ("POST", "/api/sessions/{session_id}/force-close"): {"json": {"why": "x"}},
    ("POST", "/api/sessions/{session_id}/refunds"): {"json": {"amount": "1.00", "currency": "EUR", "reason": "x",
                                                              "idempotency_key": "evil-1"}},
    ("POST", "/api/sessions/{session_id}/reprice"): {"json": {"reason": "x"}},
    ("POST", "/api/sessions/{session_id}/stop"): {},
    ("POST", "/api/stations/{station_id}/commands/{name}"): {"json": {"type": "Soft"}},
    ("PUT", "/api/stations/{station_id}/registration"): {"json": {"status": "Rejected"}},
    ("POST", "/api/stations/{station_id}/local-list"): {"json": {"update_type": "Full"}},
    ("PUT", "/api/tariffs/{tariff_id}"): {"content": tariff_text().replace("TOU-1", "TARIFF-A")},
    ("POST", "/api/tariffs/{tariff_id}/assignments"): {"json": {"scope": "site", "scope_id": "BOLT-SITE"}},
    ("DELETE", "/api/tariffs/{tariff_id}"): {},
    ("POST", "/api/stations/{station_id}/reservations"): {"json": {
        "connector_id": 1, "id_tag": "X", "expires_at": "2999-01-01T00:00:00Z"}},
    ("POST", "/api/stations/{station_id}/reservations/{reservation_id}/cancel"): {},
    ("POST", "/api/stations/{station_id}/charging-profiles"): {"json": {"profile": {}}},
    ("POST", "/api/stations/{station_id}/charging-profiles/clear"): {"json": {}},
    ("POST", "/api/stations/{station_id}/composite-schedule"): {"json": {"duration": 60}},
    ("PUT", "/api/sites/{site_id}/power-limit"): {"json": {"power_limit_kw": "1.0"}},
    ("POST", "/api/stations/{station_id}/firmware"): {"json": {"location": "https://x/fw.bin",
                                                               "retrieve_date": "2030-01-01T00:00:00Z"}},
    ("POST", "/api/stations/{station_id}/diagnostics"): {"json": {}},
    ("POST", "/api/stations/{station_id}/certificates/{serial}/revoke"): {"json": {"reason": "keyCompromise"}},
    ("PATCH", "/api/tokens/{uid}"): {"json": {"status": "Blocked"}},
    ("POST", "/api/tokens/{uid}/block"): {},
}
PAGES = ["/sessions/{session_id}", "/stations/{station_id}", "/sessions/{session_id}/receipt.pdf",
         "/api/sessions/{session_id}/chart"]


def _bolt_partner(engine) -> str:
    """A partner of BOLT, registered: returns the token C it calls us with."""
    partner, _token_a = ocpi_partners.invite(engine, "BOLT", "BOLT's eMSP", "DE", "EVL")
    token_c = "bolt-partner-token-c"
    with engine.begin() as conn:
        ocpi_partners.record_registration(conn, partner.id, "their-token", "http://127.0.0.1:9/versions", "2.2.1",
                                          [{"identifier": "locations", "role": "RECEIVER",
                                            "url": "http://127.0.0.1:9/locations"}], [], token_c)
    return token_c


def _state(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar()
                     for t in (session_events, payments, refunds, tariff_assignments, audit_entries)) + (
            sorted(conn.execute(select(id_tokens.c.uid, id_tokens.c.status)).all()),
            sorted(conn.execute(select(stations.c.id, stations.c.registration)).all()))


def test_every_route_naming_an_object_hides_other_organisations(engine, monkeypatch):
    monkeypatch.setenv("CHARGELEDGER_OCPI_ALLOWED_NETWORKS", '["127.0.0.1/32"]')  # the commands' response_url
    sid, _client, _auth = _setup(engine)  # ACME's settled, paid session on CP-1
    add_network(engine, "BOLT", "CP-9", country="DE")
    tariffs.save_tariff(engine, "ACME", tariff_text().replace("TOU-1", "TARIFF-A"))
    token_book.add(engine, "ACME", token_book.TokenEntry("ACME-CARD"))
    owner = add_user_key(engine, "boss@acme.example", ["ACME"], ["admin"])
    job = queue(engine, build_request(engine, "statement", "2024-01-01", "2025-01-01",
                                      caller_for_email(engine, "boss@acme.example")), "csv")
    intruder = {"Authorization": "Bearer " + add_user_key(engine, "evil@bolt.example", ["BOLT"], ["admin"])}
    values = {"session_id": str(sid), "station_id": "CP-1", "tariff_id": "TARIFF-A", "job_id": job,
              "code": "meter_jump", "name": "Reset", "evse_id": "NL*ACM*ECP1*1",
              "uid": "acme-card", "reservation_id": "1", "country_code": "NL", "party_id": "ACM",
              "token_uid": "acme-card", "command": "START_SESSION", "site_id": "ACME-SITE", "file_id": "1",
              "location_id": "ACME-SITE", "evse_uid": "NL*ACM*ECP1*1", "connector_id": "1",
              "serial": "1"}
    # OCPI routes: BOLT's registered roaming partner, with its own token C, asks for ACME's objects
    ocpi_intruder = {"Authorization": "Token " + base64.b64encode(_bolt_partner(engine).encode()).decode()}
    with engine.begin() as conn:  # ACME's site is published (it has coordinates), so only scoping can hide it
        conn.execute(update(sites).where(sites.c.id == "ACME-SITE").values(latitude=52, longitude=4))
    app = create_app(engine)
    routes = [(method.upper(), path) for path, item in app.openapi()["paths"].items() if "{" in path
              for method in item] + [("GET", p) for p in PAGES]
    assert len(routes) >= 20, routes  # noqa: PLR2004 - the enumeration found the API
    before = _state(engine)
    checked = []
    with serving(engine, app=app) as (base, _app), httpx.Client(base_url=base, timeout=30) as http:
        assert http.get(f"/api/sessions/{sid}", headers={"Authorization": f"Bearer {owner}"}).status_code == 200
        for method, template in routes:
            names = re.findall(r"{(\w+)}", template)
            missing = [n for n in names if n not in values]
            assert not missing, f"{method} {template}: no test value for {missing}"
            path = template.format(**{n: values[n] for n in names})
            body = BODIES.get((method, template), {})
            if method in ("POST", "PUT", "PATCH") and (method, template) not in BODIES:
                pytest.fail(f"{method} {template} is new: give it a valid body in BODIES")
            answer = http.request(method, path, headers=ocpi_intruder if path.startswith("/ocpi/") else intruder,
                                  **body)
            assert answer.status_code in (403, 404), (method, template, answer.status_code, answer.text[:200])
            leaked = [m for m in ("ACME Charging", "ACME-SITE", "CP-1 name", "sup@acme") if m in answer.text]
            assert not leaked, (method, template, answer.text)
            checked.append((method, template))
    assert _state(engine) == before  # no side effect of any of them
    assert len(checked) == len(routes)


def test_an_own_tariff_cannot_be_assigned_to_another_organisations_site(engine):
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "BOLT", "CP-9", country="DE")
    tariffs.save_tariff(engine, "BOLT", tariff_text().replace("TOU-1", "BOLT-T"))
    intruder = {"Authorization": "Bearer " + add_user_key(engine, "evil@bolt.example", ["BOLT"], ["admin"])}
    with serving(engine) as (base, _app), httpx.Client(base_url=base, timeout=30) as http:
        answers = [http.post("/api/tariffs/BOLT-T/assignments", headers=intruder,
                             json={"scope": scope, "scope_id": target}) for scope, target in
                   (("site", "ACME-SITE"), ("station", "CP-1"), ("organisation", "ACME"), ("site", "NO-SUCH"))]
    assert all(a.status_code == 422 for a in answers), [a.text for a in answers]
    assert answers[0].json() == {**answers[3].json(), "errors": [
        {**answers[3].json()["errors"][0], "reason": answers[3].json()["errors"][0]["reason"].replace(
            "NO-SUCH", "ACME-SITE")}]}  # another's site reads exactly like one that does not exist
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tariff_assignments)).scalar() == 0
