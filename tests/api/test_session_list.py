"""The session list API: filters, search, keyset pagination, and clear 4xx on bad input."""

import pytest
from fastapi.testclient import TestClient

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.http.app import create_app
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, add_user_key, at


@pytest.fixture
def client_with_sessions(engine):
    add_network(engine, "ACME", "CP-1")
    ledger = Ledger(engine)
    for n in range(7):
        ledger.record(SessionRef(f"CP-1:{n}", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1), [
            NewEvent(EventKind.TRANSACTION_STARTED, at(60 * n), EventSource.OCPP,
                     {"transaction_id": str(100 + n), "meter_start_wh": 0, "id_token": f"TOKEN{n % 2}"}),
            *([NewEvent(EventKind.TRANSACTION_STOPPED, at(60 * n + 30), EventSource.OCPP,
                        {"meter_stop_wh": 1000 * (n + 1)})] if n < 5 else [])])
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return TestClient(create_app(engine)), {"Authorization": f"Bearer {key}"}


def test_keyset_pages_cover_every_session_once_newest_first(client_with_sessions):
    client, auth = client_with_sessions
    seen, cursor = [], None
    while True:
        page = client.get("/api/sessions", params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                          headers=auth).json()
        seen += [item["transaction_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(100 + n) for n in reversed(range(7))]


def test_filters_and_search(client_with_sessions):
    client, auth = client_with_sessions
    live = client.get("/api/sessions", params={"live": "true"}, headers=auth).json()["items"]
    assert sorted(i["transaction_id"] for i in live) == ["105", "106"]
    frame = client.get("/api/sessions", params={"from": at(60).isoformat(), "to": at(180).isoformat()},
                       headers=auth).json()["items"]
    assert sorted(i["transaction_id"] for i in frame) == ["101", "102"]
    by_token = client.get("/api/sessions", params={"q": "TOKEN1"}, headers=auth).json()["items"]
    assert len(by_token) == 3
    lower = client.get("/api/sessions", params={"q": "token1"}, headers=auth).json()["items"]
    assert len(lower) == 3  # id tokens are compared without regard to case
    by_status = client.get("/api/sessions", params={"status": "Stopped"}, headers=auth).json()["items"]
    assert len(by_status) == 5
    ascending = client.get("/api/sessions", params={"sort": "energy_wh", "order": "asc", "limit": 2},
                           headers=auth).json()["items"]
    assert [i["energy_wh"] for i in ascending] == [0.0, 0.0]


@pytest.mark.parametrize("params, fragment", [
    ({"limit": 0}, "limit"),
    ({"sort": "password"}, "cannot sort"),
    ({"cursor": "!!not-ours"}, "cursor"),
    ({"from": "2024-03-05T10:00:00", "to": "2024-03-06T00:00:00Z"}, "time zone"),
    ({"from": "2024-03-06T00:00:00Z", "to": "2024-03-05T00:00:00Z"}, "empty"),
    ({"order": "sideways"}, "asc or desc"),
])
def test_bad_list_requests_get_4xx_with_a_message(client_with_sessions, params, fragment):
    client, auth = client_with_sessions
    response = client.get("/api/sessions", params=params, headers=auth)
    assert 400 <= response.status_code < 500
    assert fragment in str(response.json())


def test_unknown_session_is_404_and_bad_id_is_422(client_with_sessions):
    client, auth = client_with_sessions
    assert client.get("/api/sessions/999999", headers=auth).status_code == 404
    response = client.get("/api/sessions/abc", headers=auth)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "path.session_id"


def test_detail_has_projection_events_intervals_and_samples(client_with_sessions):
    client, auth = client_with_sessions
    first = client.get("/api/sessions", params={"q": "100"}, headers=auth).json()["items"][0]
    detail = client.get(f"/api/sessions/{first['id']}", headers=auth).json()
    assert detail["status"] == "Stopped" and detail["energy_wh"] == 1000
    assert [e["kind"] for e in detail["events"]] == ["transaction_started", "transaction_stopped"]
    assert detail["intervals"]["charging"][0]["seconds"] == 1800
    assert detail["meter_samples"] == []


def test_custom_fields_refuse_nested_values(client_with_sessions):
    client, auth = client_with_sessions
    first = client.get("/api/sessions", headers=auth).json()["items"][0]
    bad = client.put(f"/api/sessions/{first['id']}/custom-fields", json={"fields": {"po": {"nested": 1}}},
                     headers=auth)
    assert bad.status_code == 422
    good = client.put(f"/api/sessions/{first['id']}/custom-fields", json={"fields": {"po": "PO-7781"}},
                      headers=auth)
    assert good.json()["custom_fields"] == {"po": "PO-7781"}


def test_search_forgives_case_and_partial_ids_and_finds_drivers_by_name_and_emaids(engine):
    from chargeledger.directory import registry
    from chargeledger.domain.people import Driver, IdToken
    add_network(engine, "ACME", "CP-1")
    add_network(engine, "OTHER", "CP-9")
    registry.add_driver(engine, Driver("DRV-1", "ACME", "Dana de Vries", None, None, None), [IdToken("AA11", "DRV-1")])
    ledger = Ledger(engine)
    ref = lambda key, org="ACME", station="CP-1", evse="NL*ACM*ECP1*1": SessionRef(  # noqa: E731
        key, org, f"{org}-SITE", station, evse, 1)
    mine, _ = ledger.record(ref("a"), [NewEvent(EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP, {
        "transaction_id": "1", "meter_start_wh": 0, "id_token": "AA11", "driver_id": "DRV-1"})])
    roaming, _ = ledger.record(ref("b"), [NewEvent(EventKind.TRANSACTION_STARTED, at(5), EventSource.OCPP, {
        "transaction_id": "2", "meter_start_wh": 0, "id_token": "DEXYZC12345678X"})])
    ledger.record(ref("c", "OTHER", "CP-9", "NL*OTH*ECP9*1"), [NewEvent(
        EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP, {"transaction_id": "3", "meter_start_wh": 0})])
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    client, auth = TestClient(create_app(engine)), {"Authorization": f"Bearer {key}"}

    def found(q):
        return {item["id"] for item in client.get("/api/sessions", params={"q": q}, headers=auth).json()["items"]}
    assert found("nl*acm*ecp1*1") == {mine, roaming}  # any case
    assert found("ACMECP1") == {mine, roaming}  # partial, without the separators
    assert found("ecp9") == set()  # another organisation's EVSE finds nothing
    assert found("de vries") == {mine}  # a driver by name
    assert found("DE-XYZ-C12345678-X") == {roaming}  # an eMAID with its dashes
    assert found("ab") == set()  # too short to mean anything
