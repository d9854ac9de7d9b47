"""An address that has spent its login failures is answered 429 before its request is parsed (so a flood of
guesses costs the server a fraction of what a routed request costs), through a real server; other addresses are
untouched."""

from __future__ import annotations

import httpx
import pytest

from chargeledger.http.settings import HttpSettings
from tests.builders import add_network, add_user_key
from tests.http.live import serving


@pytest.fixture
def known(engine):
    add_network(engine)
    add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return engine


def test_a_spent_address_is_refused_before_its_body_is_read(known):
    settings = HttpSettings(login_failures_per_account=100, login_failures_per_address=3, trusted_proxy="127.0.0.1")
    with serving(known, settings) as (url, _app), httpx.Client(base_url=url) as client:
        for n in range(3):
            guess = client.post("/api/login", json={"email": f"guess{n}@acme.example", "password": "x"})
            assert guess.status_code == 401
        # Not even valid JSON: routed, this would be 422; the address alone decides.
        api = client.post("/api/login", content=b"{not json", headers={"content-type": "application/json"})
        assert api.status_code == 429, api.text
        assert 1 <= int(api.headers["retry-after"]) <= 300 and "too many failed logins" in api.json()["detail"]
        assert "frame-ancestors 'none'" in api.headers["content-security-policy"]  # still inside the headers
        form = client.post("/login", content=b"\xff", headers={"content-type": "application/x-www-form-urlencoded"})
        assert form.status_code == 429 and form.headers["retry-after"] and "try again" in form.text
        # Another client address (through the trusted proxy) has its own budget.
        other = client.post("/api/login", json={"email": "guess9@acme.example", "password": "x"},
                            headers={"x-forwarded-for": "203.0.113.7"})
        assert other.status_code == 401
        assert client.get("/api/health").status_code == 200  # only logins are refused
