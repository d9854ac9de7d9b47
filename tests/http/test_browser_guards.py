"""Through a real server: cookie-signed changes need the CSRF token and the own Origin; API keys do not; every
answer carries the security headers; the login cookie is HttpOnly, SameSite and Secure behind a trusted https proxy."""

from __future__ import annotations

import httpx
import pytest

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.http.csrf import csrf_token
from chargeledger.http.settings import HttpSettings
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, add_user_key, at
from tests.http.live import serving

PASSWORD = "correct horse battery"


@pytest.fixture
def world(engine):
    add_network(engine)
    ledger = Ledger(engine)
    ids = [ledger.record(SessionRef(f"CP-1:{n}", "ACME", "ACME-SITE", "CP-1"), [
        NewEvent(EventKind.TRANSACTION_STARTED, at(n), EventSource.OCPP, {"meter_start_wh": 0, "id_token": "T"})])[0]
        for n in range(3)]
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return engine, ids, key


def _status(engine, session_id: int) -> str:
    return Ledger(engine).project(session_id).status.value


def test_a_cookie_alone_changes_nothing_the_token_from_the_own_origin_does(world):
    engine, ids, key = world
    with serving(engine) as (url, _app), httpx.Client(base_url=url) as browser:
        assert browser.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD}).status_code == 200
        cookie = browser.cookies["chargeledger_login"]
        token = {"X-CSRF-Token": csrf_token(cookie)}
        close = lambda session_id, **headers: browser.post(f"/api/sessions/{session_id}/force-close",
                                                           json={"why": "test"}, headers=headers)
        refused = [close(ids[0]),                                               # the cookie alone
                   close(ids[0], **{"X-CSRF-Token": "0" * 64}),                 # a guessed token
                   close(ids[0], Origin="http://127.0.0.1:1", **token),         # another port, even with the token
                   close(ids[0], Referer="http://evil.example/x", **token),     # no Origin, a foreign Referer
                   close(ids[0], Origin="null", **token)]                       # a sandboxed or file page
        assert [r.status_code for r in refused] == [403] * 5, [r.text for r in refused]
        assert _status(engine, ids[0]) != "ForceClosed" and "force" not in _status(engine, ids[0]).lower()
        before = _status(engine, ids[0])
        assert close(ids[0], Origin=url, **token).status_code == 200  # the app's own page
        assert _status(engine, ids[0]) != before
        assert close(ids[1], **token).status_code == 200  # same-origin fetch without Origin: the token suffices
        # A malformed cookie planted before ours (other ports of the host can set cookies) does not hide it.
        planted = f'bad"cookie=1; chargeledger_login={cookie}'
        assert httpx.get(f"{url}/api/me", headers={"Cookie": planted}).status_code == 200  # the routes see it
        assert httpx.post(f"{url}/api/sessions/{ids[1]}/force-close", json={"why": "x"},
                          headers={"Cookie": planted}).status_code == 403
    # An API key is sent on purpose, never ambient: no token needed, whatever the Origin.
    with serving(engine) as (url, _app), httpx.Client(base_url=url) as api:
        answer = api.post(f"/api/sessions/{ids[2]}/force-close", json={"why": "api"},
                          headers={"Authorization": f"Bearer {key}", "Origin": "http://elsewhere.example"})
        assert answer.status_code == 200


def test_every_answer_carries_the_security_headers_and_the_cookie_is_guarded(world):
    engine, _ids, _key = world
    with serving(engine) as (url, _app), httpx.Client(base_url=url) as client:
        answers = [client.get("/login"), client.get("/api/health"), client.get("/api/sessions"),
                   client.get("/static/common.js"), client.get("/no/such/page", headers={"Accept": "text/html"}),
                   client.post("/api/login", content=b"{", headers={"Content-Type": "application/json"}),
                   client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD})]
        assert [a.status_code for a in answers] == [200, 200, 401, 200, 404, 422, 200]
        for answer in answers:
            policy = answer.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, answer.url
            assert "'unsafe-inline'" not in policy
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "same-origin"
        cookie = answers[-1].headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http here
        # A client claiming https without a trusted proxy is not believed.
        claimed = client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD},
                              headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in claimed.headers["set-cookie"].lower()


def test_behind_a_trusted_https_proxy_the_cookie_is_secure(world):
    engine, _ids, _key = world
    with serving(engine, HttpSettings(trusted_proxy="127.0.0.1")) as (url, _app), httpx.Client(base_url=url) as proxy:
        answer = proxy.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD},
                            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert answer.status_code == 200
        assert "secure" in answer.headers["set-cookie"].lower().split("; ")
        page = proxy.post("/login", data={"email": "ops@acme.example", "password": PASSWORD, "next": "/sessions"},
                          headers={"X-Forwarded-Proto": "https"})
        assert page.status_code == 303 and "secure" in page.headers["set-cookie"].lower().split("; ")


def test_even_an_internal_error_carries_the_headers(world):
    from chargeledger.http.app import create_app

    engine, _ids, _key = world
    app = create_app(engine, None, HttpSettings())
    app.add_api_route("/api/broken", lambda: 1 / 0)  # a handler with a bug
    with serving(engine, HttpSettings(), app) as (url, _app):
        answer = httpx.get(f"{url}/api/broken")
        assert answer.status_code == 500 and answer.json() == {"detail": "internal server error"}
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"
