"""Every MeterValues asks whether its session is already settled (readings an offline queue delivers after
settlement re-price it). The readings of many chargers that share a group commit ask once, in one query, and one
that is late among them still records LateFacts in the same transaction (bench/scale_out.py: the question was a
query per message, about 40 % of the writer thread's CPU per MeterValues)."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.domain.typed_events import Settled
from chargeledger.ledger.store import Ledger, NewEvent, SessionRef
from chargeledger.ocpp.group_commit import GroupCommit
from chargeledger.ocpp.recorder import Recorder
from tests.builders import add_network, at


async def test_readings_in_one_batch_ask_once_and_a_late_one_records_late_facts(engine):
    add_network(engine)
    ledger = Ledger(engine)
    ids = [ledger.open_session(SessionRef(f"ocpp:CP-1:t{n}", "ACME", "ACME-SITE", "CP-1", None, 1), at(0))[0]
           for n in range(5)]
    ledger.append(ids[2], [NewEvent.of(Settled(why="test"), at(30), EventSource.OCPP, "settled")], reactions=False)
    recorder = Recorder(engine)
    group = GroupCommit(engine, lambda conn, sid: None, recorder.forget, checks=recorder.late_among)
    asked: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "session_events" in statement:
            asked.append(statement)

    def reading(session_id: int):
        def work(conn):
            recorder.write(conn, session_id, [], [MeterSample(at(40), Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, 9e3)],
                           refresh=False)
            if recorder.late_soon(conn, session_id, at(40), f"test:mv:{session_id}"):
                return session_id, {EventKind.LATE_FACTS}
            return session_id, set()
        return work

    async def one_batch(session_ids: list[int]) -> None:
        # queued before the writer starts: they share one transaction
        waiting = [asyncio.create_task(group.work(reading(s))) for s in session_ids]
        await asyncio.sleep(0)
        batches = group.batches
        group.start()
        assert await asyncio.gather(*waiting) == session_ids
        await group.stop()
        assert group.batches == batches + 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        await one_batch([ids[0], ids[1], ids[3], ids[4]])
        assert len(asked) == 1  # one question for the four readings, none of them late
        await one_batch(ids)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    kinds = {s: [e.kind for e in ledger.events(s)] for s in ids}
    assert kinds[ids[2]].count(EventKind.LATE_FACTS) == 1
    assert all(EventKind.LATE_FACTS not in kinds[s] for s in ids if s != ids[2])
