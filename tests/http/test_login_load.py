"""A small run of bench/login_load.py: 40 parallel wrong logins against `chargeledger serve` (a real process) while
a station sends heartbeats over a real websocket. Before the bounded pool and the throttle this took the server
from 110 MB to about 2 GB and the heartbeat p99 to 160-1,500 ms."""

from __future__ import annotations

from bench.login_load import run


def test_a_burst_of_wrong_logins_neither_blows_memory_nor_stalls_the_chargers():
    result = run(parallel=40, rounds=2, throttle=True, sessions=50, idle_s=2.0)
    assert result["logins"].get(429, 0) > 0 and set(result["logins"]) <= {401, 429}, result
    assert result["rss_peak_mb"] < 500, result
    # Loose enough for 2 shared cores; the tight figure (within 20 % of idle) is the bench's to report.
    assert result["heartbeat_burst_ms"]["p99"] < 80, result
    assert result["heartbeat_burst_ms"]["n"] > 10, result


def test_without_the_throttle_the_password_pool_alone_bounds_memory():
    result = run(parallel=40, rounds=1, throttle=False, sessions=50, idle_s=1.0)
    assert result["logins"] == {401: 40}, result
    assert result["rss_peak_mb"] < 500 and result["heartbeat_burst_ms"]["p99"] < 80, result
