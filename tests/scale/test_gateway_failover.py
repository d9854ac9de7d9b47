"""Issue 19: a gateway process killed with SIGKILL loses nothing it acknowledged. Its charger, mid-session,
reconnects to another gateway (the test plays the load balancer), resends what it had queued with duplicates among
it, and carries on: the session ends with the energy and price of the same session played without a kill, no
duplicate samples, no second session. And a station that connects to a second gateway while a stale socket of it
lingers on the first is taken over: the first closes the old socket (told over the bus) and logs it."""

from __future__ import annotations

import asyncio
import time

import pytest
import websockets
from sqlalchemy import func, select

from chargeledger.storage.tables import meter_samples, sessions, stations
from tests.ocpp.helpers import charger
from tests.ocpp.test_settlement_orderings import IN_ORDER, READINGS, _messages16, _network, _outcome, _play16

from .processes import start

pytestmark = pytest.mark.postgres


def _wait(check, seconds: float, what: str, log=lambda: ""):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {log()[-3000:]}"
        time.sleep(0.1)


def _samples(engine, session_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(meter_samples)
                            .where(meter_samples.c.session_id == session_id)).scalar()


def _sessions(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sessions)).scalar()


def _holder(engine, station_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(stations.c.gateway).where(stations.c.id == station_id)).scalar()


def test_a_charger_survives_the_sigkill_of_its_gateway(pg_engine, postgres_url, nats_url, tmp_path):
    _network(pg_engine)
    first = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-a")
    second = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-b")
    worker = start(tmp_path, postgres_url, nats_url, "worker", name="worker-1")
    first.ready(), second.ready()
    try:
        control = _played_across_a_kill(first, second)
        crossed = control + 1  # 1.6: the transaction id is the session id; the second session is the one crossed
        _wait(lambda: _settled(pg_engine, crossed), 30, "the crossed session settled", worker.output)
    finally:
        first.kill()
        second.stop()
        worker.stop()
    assert _sessions(pg_engine) == 2  # the control session and the crossed one: no second session
    assert _outcome(pg_engine, crossed) == _outcome(pg_engine, control)
    assert _outcome(pg_engine, crossed)[0] == 22000
    assert _samples(pg_engine, crossed) == _samples(pg_engine, control)  # resent readings stored once


def _played_across_a_kill(first, second) -> int:
    async def play() -> int:
        async with charger(f"ws://127.0.0.1:{first.port}", "CP-1") as cp:
            control = await _play16(cp, _messages16(1, READINGS), IN_ORDER)  # in order, no kill: the reference
            steps = _messages16(2, READINGS)
            tx = await _play16(cp, steps, ["preparing", "start", "mv16", "mv31", "mv46"])  # acknowledged
            first.kill()
            with pytest.raises((websockets.ConnectionClosed, asyncio.TimeoutError, OSError)):
                await asyncio.wait_for(cp.call(steps["mv61"](tx)), 5)  # the link died under it: stays queued
        # the load balancer sends it to the other gateway; it resends its queue, with what it is unsure of
        async with charger(f"ws://127.0.0.1:{second.port}", "CP-1") as cp:
            resent = await cp.call(steps["start"](None))
            assert resent.transaction_id == tx  # the same transaction, not a new one
            await _play16_with(cp, steps, tx, ["mv46", "mv61", "mv76", "mv91", "mv61", "mv106", "stop", "stop",
                                               "available"])
        return control

    return asyncio.run(play())


async def _play16_with(cp, steps, tx, order):
    for name in order:
        await cp.call(steps[name](tx))


def _settled(engine, session_id: int) -> bool:
    from chargeledger.settlement.store import current_settlement

    return current_settlement(engine, session_id) is not None


def test_a_station_on_a_second_gateway_is_taken_over_from_the_first(pg_engine, postgres_url, nats_url, tmp_path):
    _network(pg_engine)
    first = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-a")
    second = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-b")
    first.ready(), second.ready()

    async def play() -> tuple[int | None, str | None]:
        async with charger(f"ws://127.0.0.1:{first.port}", "CP-1") as stale:
            await stale.call(_messages16(1, [])["preparing"](None))
            assert await asyncio.to_thread(_holder, pg_engine, "CP-1") == "gw-a"
            async with charger(f"ws://127.0.0.1:{second.port}", "CP-1") as fresh:
                await fresh.call(_messages16(1, [])["available"](None))
                await asyncio.wait_for(stale._connection.wait_closed(), 10)  # closed by the first gateway
                return stale._connection.close_code, stale._connection.close_reason

    try:
        code, reason = asyncio.run(play())
        assert code == 1000 and "gw-b" in reason
        _wait(lambda: "closing its stale connection" in first.output(), 5, "the takeover logged", first.output)
        assert "station CP-1 connected to gateway gw-b" in first.output()
    finally:
        first.stop()
        second.stop()
