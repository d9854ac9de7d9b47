"""Every GET route (the API from its OpenAPI schema, the pages by hand), every query parameter, hostile values:
the answer is a 2xx/3xx/4xx with a message, never a 5xx. On SQLite and PostgreSQL (NUL bytes, huge numbers)."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.http.app import create_app
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, add_user_key, at


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


GARBAGE = ["", " ", "x", "-1", "0", "1e309", "nan", "99999999999999999999999", "2024-13-45T99:00:00Z",
           "2024-01-01T00:00:00", "\x00", "%", "' OR 1=1 --", "ä" * 300, "[]", "{}", "true",
           _cursor("not a list"), _cursor([1]), _cursor([None, "1"]), _cursor(["x", 2**70]), _cursor([{}, 1]),
           _cursor(["2024-01-01T00:00:00+00:00", True]), "eyJ", "%%%%", "AAAA"]
PAGES = {"/sessions": ["organisation", "site", "station", "status", "network", "from", "to", "q", "live", "limit",
                       "cursor", "sort", "order", "page"],
         "/login": ["next"], "/sessions/{session_id}": ["tab"], "/stations/{station_id}": ["x"]}


@pytest.fixture
def client(engine):
    add_network(engine)
    session_id, _ = Ledger(engine).record(SessionRef("CP-1:1", "ACME", "ACME-SITE", "CP-1"), [
        NewEvent(EventKind.TRANSACTION_STARTED, at(0), EventSource.OCPP, {"meter_start_wh": 0, "id_token": "T"}),
        NewEvent(EventKind.TRANSACTION_STOPPED, at(30), EventSource.OCPP, {"meter_stop_wh": 5000})])
    key = add_user_key(engine, "admin@acme.example", ["ACME"], ["admin", "stations", "reports", "finance", "support"])
    app = create_app(engine)
    ids = {"session_id": str(session_id), "station_id": "CP-1", "tariff_id": "T-1", "job_id": "1",
           "uid": "T"}
    with TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {key}"}) as test_client:
        yield test_client, app, ids


class _Known(dict):
    """Path parameters of the fixture's objects; a parameter it has no object for gets "1" (a 404 is fine)."""

    def __missing__(self, name):
        return "1"


def _routes(app) -> dict[str, list[str]]:
    routes = dict(PAGES)
    for path, operations in app.openapi()["paths"].items():
        if "get" in operations:
            routes[path] = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
    return routes


def test_no_get_route_answers_5xx_to_garbage_in_its_query(client):
    test_client, app, ids = client
    routes = _routes(app)
    assert len(routes) > 15 and "cursor" in routes["/api/sessions"]  # the schema is being read, not skipped
    failures = []
    for template, names in routes.items():
        path = template.format_map(_Known(ids))
        for name in names or ["x"]:
            for value in GARBAGE:
                answer = test_client.get(path, params={name: value})
                if answer.status_code >= 500:
                    failures.append((path, name, value[:40], answer.status_code))
    assert not failures, failures


def test_a_crafted_cursor_is_a_400_with_a_reason(client):
    test_client, _app, _ids = client
    for cursor in (_cursor(["x", 2**70]), _cursor("no"), "!!!", _cursor([{"a": 1}, 3])):
        answer = test_client.get("/api/sessions", params={"cursor": cursor})
        assert answer.status_code == 400 and "cursor" in answer.json()["detail"], (cursor, answer.text)
    first = test_client.get("/api/sessions", params={"limit": 1}).json()  # a real cursor still pages
    assert test_client.get("/api/sessions", params={"limit": 1, "cursor": first["next_cursor"] or ""}).status_code \
        == 200
