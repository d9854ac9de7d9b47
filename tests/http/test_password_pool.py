"""Password checks run in a slim worker process at the lowest CPU priority (also when the server was started at a
real-time priority), which imports argon2 and not the application; a killed worker is replaced by the next check;
too many waiting checks are refused at once. Through real worker processes, and logins through a real server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from chargeledger.access.password_pool import NICENESS, PasswordPool
from chargeledger.access.passwords import hash_password
from chargeledger.http.settings import HttpSettings
from tests.builders import add_network, add_user_key
from tests.http.live import serving

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scheduling classes are Linux's")

PASSWORD = "correct horse battery"
WIDE_OPEN = {"login_failures_per_account": 1000, "login_failures_per_address": 1000}


@pytest.fixture
def known(engine):
    add_network(engine)
    add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    return engine


def _worker_scheduling(real_time: bool) -> tuple[int, int] | None:
    """The worker is started by the first check, from (and so inheriting the policy of) the calling thread."""
    found: list = []

    def caller() -> None:
        if real_time:
            try:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            except PermissionError:  # not allowed here: nothing to show
                found.append(None)
                return
        pool = PasswordPool(1, 1)
        try:
            assert asyncio.run(pool.matches(hash_password("x"), "x"))
            pid = pool.pids()[0]
            found.append((os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid)))
        finally:
            pool.shutdown()

    thread = threading.Thread(target=caller)  # its own thread, so the test process keeps its own policy
    thread.start()
    thread.join(60)
    return found[0]


def test_a_check_runs_in_a_process_at_the_lowest_priority():
    assert _worker_scheduling(real_time=False) == (os.SCHED_IDLE, NICENESS)


def test_a_check_leaves_the_real_time_priority_the_server_was_started_with():
    found = _worker_scheduling(real_time=True)
    if found is None:
        pytest.skip("this machine does not allow a real-time priority")
    assert found == (os.SCHED_IDLE, NICENESS)


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


async def test_the_worker_imports_argon2_and_nothing_of_the_application():
    pool = PasswordPool(1, 1)
    try:
        assert await pool.matches(hash_password(PASSWORD), PASSWORD)
        assert not await pool.matches(None, PASSWORD)  # an unknown account: the dummy hash, False
        modules = set(await pool.imported_modules())
        rss = _rss_mb(pool.pids()[0])
    finally:
        pool.shutdown()
    assert {m for m in modules if m.startswith("chargeledger")} == {
        "chargeledger", "chargeledger.access", "chargeledger.access.passwords"}
    assert "argon2" in modules
    assert not modules & {"sqlalchemy", "fastapi", "starlette", "uvicorn", "websockets", "pydantic", "typer"}
    # After a check: the interpreter, argon2 and Argon2's 19 MiB (kept by malloc for the next check). A child that
    # re-imported the application took 117 MB.
    assert rss < 48, rss


def test_a_killed_worker_is_replaced_and_logins_go_on(known):
    with serving(known, HttpSettings(**WIDE_OPEN)) as (url, app), httpx.Client(base_url=url, timeout=60) as client:
        pool = app.state.login_guard.pool
        assert client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD}).status_code == 200
        [first] = pool.pids()
        os.kill(first, signal.SIGKILL)
        os.waitid(os.P_PID, first, os.WEXITED | os.WNOWAIT)  # dead before the next login, not dying
        assert client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD}).status_code == 200
        [second] = pool.pids()
        assert second != first

        # killed in the middle of a burst (between or during checks): every guess still gets its answer
        def guess(n: int) -> int:
            return client.post("/api/login", json={"email": f"guess{n}@acme.example", "password": "x"}).status_code

        with ThreadPoolExecutor(6) as guessers:
            answers = [guessers.submit(guess, n) for n in range(6)]
            answers[0].result()
            for pid in pool.pids():
                os.kill(pid, signal.SIGKILL)
            assert [a.result() for a in answers] == [401] * 6
        assert client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD}).status_code == 200


def test_a_full_queue_of_checks_answers_503_at_once(known):
    # twelve failures per address: had the refused logins spent theirs, the last login below would get 429
    settings = HttpSettings(login_failures_per_account=1000, login_failures_per_address=12, login_workers=1,
                            login_waiting=2)
    with serving(known, settings) as (url, _app), httpx.Client(base_url=url, timeout=60) as client:
        def guess(n: int) -> httpx.Response:  # by the API and by the login form, alternately
            if n % 2:
                return client.post("/login", data={"email": f"guess{n}@acme.example", "password": "x"})
            return client.post("/api/login", json={"email": f"guess{n}@acme.example", "password": "x"})

        with ThreadPoolExecutor(12) as guessers:
            answers = list(guessers.map(guess, range(12)))
        codes = [a.status_code for a in answers]
        # one check running and two waiting: of twelve at once most are refused (the rest get in as checks end),
        # and none with an error
        assert set(codes) == {401, 503} and codes.count(503) >= 6, codes
        assert all(a.headers.get("retry-after") == "1" and "too many logins at once" in a.text
                   for a in answers if a.status_code == 503)
        # a refusal never checked the password, so it spent none of the address's failures
        assert client.post("/api/login", json={"email": "ops@acme.example", "password": PASSWORD}).status_code == 200
