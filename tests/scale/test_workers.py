"""Issue 19: work is done once across workers. A gateway process stores sessions and leaves their reactions to the
worker processes; two `serve --role worker` compete for the same settlements and captures (a slow payment
gateway keeps them busy), one is SIGKILLed mid-batch, and every session ends settled and charged exactly once."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from chargeledger.ledger import outbox
from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import settlements_of
from chargeledger.storage.tables import session_events
from tests.ocpp.test_outbox_restart import _play
from tests.ocpp.test_settlement_orderings import _network

from .processes import serve, start

pytestmark = pytest.mark.postgres


def _count(engine, kind: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(session_events)
                            .where(session_events.c.kind == kind)).scalar()


def _captures_left(engine, session_ids) -> bool:
    """A card payment recorded in the batch's transaction whose capture (slow, outside it) was not tried yet."""
    return any(p["gateway"] and not p["attempts"] for s in session_ids for p in payments_of(engine, s))


def test_two_workers_settle_each_session_once_and_a_killed_one_is_taken_over(pg_engine, postgres_url, nats_url,
                                                                            tmp_path):
    _network(pg_engine)
    gateway = serve(tmp_path, postgres_url, nats_url, "gateway", name="gw-a")
    try:
        session_ids = asyncio.run(_play(gateway.port))  # four sessions, answered and stored
    finally:
        gateway.stop()
    assert not any(settlements_of(pg_engine, s) for s in session_ids)  # the gateway left the reactions to workers
    assert outbox.backlog(pg_engine) > 0

    slow = {"CHARGELEDGER_SIMULATED_GATEWAY_DELAY": "0.7"}  # each capture takes this long
    first = start(tmp_path, postgres_url, nats_url, "worker", name="worker-1", env=slow)
    second = start(tmp_path, postgres_url, nats_url, "worker", name="worker-2", env=slow)
    try:
        deadline = time.monotonic() + 60  # generous: two cold worker processes on a busy 2-core machine
        while _count(pg_engine, "payment_recorded") < 1:  # a batch is under way
            assert time.monotonic() < deadline, first.output()[-2000:]
            time.sleep(0.01)
        first.kill()  # mid-work: payments, or the reactions to the batch's PRICED and payments, still to do
        # (a batch writes its sessions' settlements and account payments in one transaction: all or none of them)
        assert _count(pg_engine, "payment_recorded") < len(session_ids) or outbox.backlog(pg_engine) > 0 \
            or _captures_left(pg_engine, session_ids)
        deadline = time.monotonic() + 40
        while not all(settlements_of(pg_engine, s) and payments_of(pg_engine, s) for s in session_ids) \
                or outbox.backlog(pg_engine):
            assert time.monotonic() < deadline, second.output()[-3000:]
            time.sleep(0.1)
        time.sleep(1.5)  # both would have had time to do anything twice
    finally:
        first.kill()
        second.stop()
    for session_id in session_ids:
        assert len(settlements_of(pg_engine, session_id)) == 1
        assert len(payments_of(pg_engine, session_id)) == 1
    assert _count(pg_engine, "payment_recorded") == len(session_ids)
    assert _count(pg_engine, "settled") == len(session_ids)
    assert outbox.failures(pg_engine) == []


def test_workers_hear_of_new_work_over_the_bus_not_at_their_poll(pg_engine, postgres_url, nats_url, tmp_path):
    """A worker that would look for work only every 60 s settles a session within seconds: the gateway process
    that stored it says so on the bus."""
    _network(pg_engine)
    slow_poll = {"CHARGELEDGER_WORKER_POLL_INTERVAL": "60"}
    worker = start(tmp_path, postgres_url, nats_url, "worker", name="worker-1", env=slow_poll)
    gateway = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-a").ready()
    try:
        deadline = time.monotonic() + 30
        while "running worker" not in worker.output():
            assert time.monotonic() < deadline, worker.output()[-2000:]
            time.sleep(0.1)
        time.sleep(1)  # its first round (at its start) is over: from now on only a notice wakes it before 60 s
        session_ids = asyncio.run(_play(gateway.port))
        answered = time.monotonic()
        while not all(settlements_of(pg_engine, s) for s in session_ids):
            assert time.monotonic() - answered < 20, worker.output()[-2000:]
            time.sleep(0.1)
    finally:
        gateway.stop()
        worker.stop()
