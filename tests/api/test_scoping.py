"""A user of one organisation cannot read another's sessions, stations or sites through any endpoint."""

import pytest
from fastapi.testclient import TestClient

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.http.app import create_app
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, add_user_key, at


@pytest.fixture
def two_operators(engine):
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "BOLT", "CP-9", country="DE")
    ledger = Ledger(engine)
    ids = {}
    for org, station in (("ACME", "CP-1"), ("BOLT", "CP-9")):
        ids[org], _ = ledger.record(SessionRef(f"{station}:1", org, f"{org}-SITE", station), [
            NewEvent(EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP, {"meter_start_wh": 0, "id_token": org}),
            NewEvent(EventKind.TRANSACTION_STOPPED, at(30), EventSource.OCPP, {"meter_stop_wh": 5000})])
    acme_key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return TestClient(create_app(engine)), {"Authorization": f"Bearer {acme_key}"}, ids


def test_list_shows_only_own_sessions(two_operators):
    client, auth, ids = two_operators
    items = client.get("/api/sessions", headers=auth).json()["items"]
    assert [i["id"] for i in items] == [ids["ACME"]]


def test_other_operators_session_is_not_found(two_operators):
    client, auth, ids = two_operators
    assert client.get(f"/api/sessions/{ids['BOLT']}", headers=auth).status_code == 404
    assert client.get(f"/api/sessions/{ids['ACME']}", headers=auth).status_code == 200
    for path in (f"/api/sessions/{ids['BOLT']}/custom-fields",):
        assert client.put(path, json={"fields": {"a": 1}}, headers=auth).status_code == 404
    assert client.post(f"/api/sessions/{ids['BOLT']}/force-close", json={"why": "x"}, headers=auth).status_code == 404


def test_filtering_on_another_organisation_is_refused(two_operators):
    client, auth, _ = two_operators
    response = client.get("/api/sessions", params={"organisation": "BOLT"}, headers=auth)
    assert response.status_code == 403 and "outside your organisations" in response.json()["detail"]


def test_network_endpoints_are_scoped(two_operators):
    client, auth, _ = two_operators
    assert [o["id"] for o in client.get("/api/organisations", headers=auth).json()] == ["ACME"]
    assert [s["id"] for s in client.get("/api/stations", headers=auth).json()] == ["CP-1"]
    assert [s["id"] for s in client.get("/api/sites", headers=auth).json()] == ["ACME-SITE"]
    assert client.get("/api/stations/CP-9", headers=auth).status_code == 404


def test_no_key_or_bad_key_is_401(two_operators):
    client, _, _ = two_operators
    assert client.get("/api/sessions").status_code == 401
    assert client.get("/api/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_login_with_password_gives_a_working_token(two_operators):
    client, _, _ = two_operators
    bad = client.post("/api/login", json={"email": "ops@acme.example", "password": "wrong"})
    assert bad.status_code == 401
    token = client.post("/api/login", json={"email": "ops@acme.example", "password": "correct horse battery"})
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token.json()['token']}"}).json()
    assert me["organisations"] == ["ACME"] and me["rights"] == ["support"]
