"""The outbox on SQLite and PostgreSQL: how long from a session's commit to its settlement, and what a slow payment
gateway does to a charger's answer with the worker and without it.

    .venv/bin/python bench/outbox.py --sessions 100 --stops 10 --gateway-delay 0.5 --databases sqlite,postgres

1. Commit to settlement: `sessions` card-paid sessions recorded one after another through the real ledger while the
   outbox worker thread runs (notice from the writer, 1 s poll); per session, the time from the commit of its SETTLED
   event to its stored settlement and captured payment. Printed: p50, p99, max.
2. Charger answers: a 1.6 charger over a real websocket sends StopTransaction while a card session's capture is in
   the simulated gateway (CHARGELEDGER_SIMULATED_GATEWAY_DELAY; the stop is sent once that payment is pending at the
   gateway); p50/p99 of the answer time with the worker, and
   with reactions run inline by the writer (the way before the outbox), and the ratio of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ocpp.v16 import call
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chargeledger.domain.events import EventKind, EventSource  # noqa: E402
from chargeledger.ledger import Ledger, NewEvent, SessionRef, outbox  # noqa: E402
from chargeledger.payments.store import payments_of  # noqa: E402
from chargeledger.settlement.store import current_settlement  # noqa: E402
from databases import fresh_engine  # noqa: E402
from chargeledger.storage.tables import payments, sessions  # noqa: E402
from tests.builders import at  # noqa: E402
from tests.ocpp.helpers import charger, gateway_on, iso  # noqa: E402
from tests.ocpp.test_settlement_orderings import _network  # noqa: E402
from tests.settlement.helpers import record_session  # noqa: E402



def _engine(kind: str, folder: str):
    return fresh_engine(kind, folder, "bench_outbox")


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median, top = statistics.median(ordered) * 1000, ordered[-1] * 1000
    return f"p50 {median:8.1f} ms  p99 {p99 * 1000:8.1f} ms  max {top:8.1f} ms"


def _paid(engine, session_id: int) -> bool:
    found = payments_of(engine, session_id)
    return bool(found) and found[0]["status"] == "captured" and current_settlement(engine, session_id) is not None


def _capturing(engine, key: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(payments.c.id).join(sessions, sessions.c.id == payments.c.session_id).where(
            sessions.c.external_key == key, payments.c.status == "pending")).first() is not None


def commit_to_settlement(engine, sessions: int) -> list[float]:
    worker = outbox.Worker(engine, poll_interval=1.0).start()
    latencies = []
    try:
        for n in range(sessions):
            # record_session commits the SETTLED event last; the clock starts when that commit returns
            session_id = record_session(engine, f"bench-{n}", start_min=n * 200, settle=False)
            ref = SessionRef(f"bench-{n}", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)
            began = time.perf_counter()  # from the start of the SETTLED commit
            Ledger(engine).record(ref, [NewEvent(EventKind.SETTLED, at(n * 200 + 90), EventSource.SYSTEM,
                                                 {"payment": {"method": "card", "card_last4": "4242"}},
                                                 f"bench-{n}:settle")])
            while not _paid(engine, session_id):
                time.sleep(0.001)
            latencies.append(time.perf_counter() - began)
    finally:
        worker.stop()
    return latencies


async def _stops(engine, stops: int, with_worker: bool, tag: str) -> list[float]:
    worker = outbox.Worker(engine, poll_interval=1.0).start() if with_worker else None
    answers = []
    try:
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            for n in range(stops):
                started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0,
                                                              timestamp=iso(at(1))))
                # a card session settles now; without the worker, its capture runs in this thread
                card = asyncio.create_task(asyncio.to_thread(record_session, engine, f"{tag}-card-{n}"))
                while not _capturing(engine, f"{tag}-card-{n}"):  # the stop goes while the capture is in the gateway
                    await asyncio.sleep(0.005)
                began = time.perf_counter()
                await cp.call(call.StopTransaction(meter_stop=11000, timestamp=iso(at(61)),
                                                   transaction_id=started.transaction_id, reason="Local"))
                answers.append(time.perf_counter() - began)
                await card
        deadline = time.monotonic() + 120
        while outbox.backlog(engine) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        if worker is not None:
            worker.stop()
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--stops", type=int, default=10)
    parser.add_argument("--gateway-delay", type=float, default=0.5)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            engine, drop = _engine(kind, folder)
            try:
                _network(engine)
                os.environ.pop("CHARGELEDGER_SIMULATED_GATEWAY_DELAY", None)
                settled = commit_to_settlement(engine, args.sessions)
                print(f"{kind:8s} commit -> settled and captured ({args.sessions} sessions): {_quantiles(settled)}")
                os.environ["CHARGELEDGER_SIMULATED_GATEWAY_DELAY"] = str(args.gateway_delay)
                fast = asyncio.run(_stops(engine, args.stops, True, f"{kind}-w"))
                slow = asyncio.run(_stops(engine, args.stops, False, f"{kind}-i"))
                os.environ.pop("CHARGELEDGER_SIMULATED_GATEWAY_DELAY", None)
                label = f"{kind:8s} StopTransaction answer, gateway {args.gateway_delay:g} s"
                print(f"{label}, worker: {_quantiles(fast)}")
                print(f"{label}, inline: {_quantiles(slow)}")
                print(f"{kind:8s} inline / worker median: {statistics.median(slow) / statistics.median(fast):.0f}x")
            finally:
                drop()


if __name__ == "__main__":
    main()
