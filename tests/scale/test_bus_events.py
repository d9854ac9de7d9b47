"""Issue 19: events cross processes as typed messages with a version. A worker process relays committed ledger
events onto NATS in commit order; a reader gets them back as their typed classes, and one it does not know (a type
this code lacks, or a newer version) is logged and skipped while the next one still arrives."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest

from chargeledger import bus
from chargeledger.bus import events
from chargeledger.ledger import outbox
from chargeledger.domain.typed_events import Settled, TransactionStopped
from tests.ocpp.test_outbox_restart import _play
from tests.ocpp.test_settlement_orderings import _network

from .processes import start

pytestmark = pytest.mark.postgres


async def test_a_worker_relays_typed_events_and_readers_skip_what_they_do_not_know(pg_engine, postgres_url,
                                                                                  nats_url, tmp_path, caplog):
    _network(pg_engine)
    client = await bus.connect(nats_url, "test-reader")
    got: list[events.Received] = []

    async def on_event(received: events.Received) -> None:
        got.append(received)

    subscription = await events.subscribe(client, on_event)
    worker = start(tmp_path, postgres_url, nats_url, "worker", name="worker-1")
    gateway = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-a").ready()
    await _relay_started(pg_engine, worker)
    try:
        with caplog.at_level(logging.WARNING, logger="chargeledger.bus.events"):
            # a newer process's messages: a kind this code lacks, and a version beyond this code's
            await client.publish(f"{bus.EVENTS}.teleported", b"{}", headers={events.TYPE: "teleported",
                                                                            events.VERSION: "1"})
            await client.publish(f"{bus.EVENTS}.settled", orjson.dumps(
                {"id": 0, "session_id": 0, "occurred_at": "", "payload": {}}),
                headers={events.TYPE: "settled", events.VERSION: "99"})
            session_ids = await _play(gateway.port)
            for _ in range(300):
                if sum(isinstance(r.event, Settled) for r in got) >= len(session_ids):
                    break
                await asyncio.sleep(0.1)
        assert "unknown type 'teleported'" in caplog.text and "settled version 99" in caplog.text
    finally:
        await subscription.unsubscribe()
        await client.close()
        gateway.stop()
        worker.stop()
    assert {r.session_id for r in got if isinstance(r.event, Settled)} == set(session_ids)
    ids = [r.event_id for r in got]
    assert len(ids) == len(set(ids))  # each event once
    stops = [r.event for r in got if isinstance(r.event, TransactionStopped)]
    assert sorted(s.meter_stop_wh for s in stops) == [n * 30000 + 11000 for n in range(len(session_ids))]
    by_session = {}
    for r in got:
        by_session.setdefault(r.session_id, []).append(r.event_id)
    assert all(seq == sorted(seq) for seq in by_session.values())  # each session's events in commit order


async def _relay_started(engine, worker, seconds: float = 40) -> None:
    """The worker's relay has taken its starting place (its checkpoint row): from then on nothing is skipped."""
    for _ in range(int(seconds * 10)):
        with engine.connect() as conn:
            if outbox.has_position(conn, events.RELAY):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the worker's event relay never started: {worker.output()[-2000:]}")
