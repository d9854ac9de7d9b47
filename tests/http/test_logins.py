"""Logins through a real server: throttled per account and per address with 429 + Retry-After, a sliding window,
the form login too; an unknown email costs what a wrong password costs."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from chargeledger.access import accounts
from chargeledger.http.settings import HttpSettings
from chargeledger.storage.tables import users
from tests.builders import add_network, add_user_key
from tests.http.live import serving

PASSWORD = "correct horse battery"


@pytest.fixture
def known(engine):
    add_network(engine)
    add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return engine


def _login(client, email, password=PASSWORD):
    return client.post("/api/login", json={"email": email, "password": password})


def test_an_account_is_throttled_after_its_failures_then_the_window_slides(known):
    # a window wide enough that three Argon2 checks on a busy CI machine still fall inside it
    settings = HttpSettings(login_failures_per_account=3, login_failures_per_address=100, login_window=6.0)
    with serving(known, settings) as (url, app), httpx.Client(base_url=url) as client:
        # the guard's clock runs on real time plus what the test skips: the window is passed without waiting 6 s
        skipped = [0.0]
        app.state.login_guard.clock = lambda: time.monotonic() + skipped[0]
        assert [_login(client, "ops@acme.example", "wrong").status_code for _ in range(3)] == [401] * 3
        blocked = _login(client, "OPS@acme.example")  # the right password, the same account (any case)
        assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 6
        assert _login(client, "other@acme.example", "wrong").status_code == 401  # other accounts are not blocked
        form = client.post("/login", data={"email": "ops@acme.example", "password": PASSWORD, "next": "/sessions"})
        assert form.status_code == 429 and "too many failed logins" in form.text and form.headers["retry-after"]
        skipped[0] += 6.1
        assert _login(client, "ops@acme.example").status_code == 200
        # A success gives its slot back: logging in again and again never locks the owner out.
        assert [_login(client, "ops@acme.example").status_code for _ in range(5)] == [200] * 5


def test_an_address_is_throttled_across_accounts_even_in_parallel(known):
    settings = HttpSettings(login_failures_per_account=100, login_failures_per_address=10)
    with serving(known, settings) as (url, _app), httpx.Client(base_url=url) as client:
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(lambda n: _login(client, f"guess{n}@acme.example", "wrong"), range(40)))
        codes = sorted(a.status_code for a in answers)
        assert codes.count(401) == 10 and codes.count(429) == 30, codes
        assert all(a.headers.get("retry-after") for a in answers if a.status_code == 429)


def test_an_unknown_email_takes_as_long_as_a_wrong_password(known):
    settings = HttpSettings(login_failures_per_account=1000, login_failures_per_address=1000)
    with serving(known, settings) as (url, _app), httpx.Client(base_url=url) as client:
        _login(client, "warm@acme.example", "x")

        def took(email):
            started = time.perf_counter()
            assert _login(client, email, "wrong").status_code == 401
            return time.perf_counter() - started

        known_times = [took("ops@acme.example") for _ in range(7)]
        unknown_times = [took(f"nobody{n}@acme.example") for n in range(7)]
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    assert unknown_median > 0.6 * known_median, (unknown_median, known_median)  # was 3 ms against 125-220 ms


def test_an_old_heavier_hash_still_logs_in_and_moves_to_the_current_parameters(known):
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    with known.begin() as conn:
        conn.execute(update(users).values(password_hash=PasswordHasher().hash(PASSWORD)))  # argon2-cffi defaults
    assert accounts.login(known, "ops@acme.example", PASSWORD)
    with known.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert "m=19456,t=2,p=1" in stored and accounts.verify_password(stored, PASSWORD)
