"""A restart resumes the outbox where it stopped (issue 12): `chargeledger serve` answers chargers while its
reactions are handed to a worker that is not running, is SIGKILLed with every session unsettled, and on restart
(worker on) every session is settled and charged exactly once; a further kill and restart changes nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ocpp.v16 import call
from sqlalchemy import func, select

from chargeledger.ledger import outbox
from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import settlements_of
from chargeledger.storage.tables import session_events
from tests.builders import at
from tests.ocpp.helpers import charger, iso
from tests.ocpp.test_settlement_orderings import _network

SESSIONS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(engine, tmp_path: Path, *options: str) -> tuple[subprocess.Popen, int]:
    http_port, ocpp_port = _free_port(), _free_port()
    env = {**os.environ, "CHARGELEDGER_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    log = open(tmp_path / f"serve-{ocpp_port}.log", "wb")
    child = subprocess.Popen([str(Path(sys.executable).parent / "chargeledger"), "serve", "--http-port", str(http_port),
                              "--ocpp-port", str(ocpp_port), *options], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", ocpp_port), timeout=0.2).close()
            return child, ocpp_port
        except OSError:
            assert child.poll() is None, (tmp_path / f"serve-{ocpp_port}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL


async def _play(port: int) -> list[int]:
    transactions = []
    async with charger(f"ws://127.0.0.1:{port}", "CP-1") as cp:
        for n in range(SESSIONS):
            base = n * 200
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=n * 30000,
                                                          timestamp=iso(at(base + 1))))
            await cp.call(call.StopTransaction(meter_stop=n * 30000 + 11000, timestamp=iso(at(base + 61)),
                                               transaction_id=started.transaction_id, reason="EVDisconnected"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(at(base + 65))))
            transactions.append(started.transaction_id)
    return transactions


def _payment_events(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(session_events)
                            .where(session_events.c.kind == "payment_recorded")).scalar()


def _all_settled(engine, ids) -> bool:
    return all(len(settlements_of(engine, s)) == 1 and len(payments_of(engine, s)) == 1 for s in ids)


def test_a_killed_server_settles_every_session_once_after_restart(engine, tmp_path):
    _network(engine)
    child, port = _serve(engine, tmp_path, "--no-worker")
    try:
        session_ids = asyncio.run(_play(port))  # 1.6: the transaction id is the session id
    finally:
        _kill(child)
    assert outbox.backlog(engine) > 0
    assert not any(settlements_of(engine, s) for s in session_ids)  # answered, stored, not yet settled

    child, _ = _serve(engine, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not (_all_settled(engine, session_ids) and outbox.backlog(engine) == 0):
            assert time.monotonic() < deadline, "the restarted worker did not settle every session"
            time.sleep(0.1)
    finally:
        _kill(child)
    assert _payment_events(engine) == SESSIONS

    child, _ = _serve(engine, tmp_path)  # and once more: the checkpoint holds, nothing is charged twice
    try:
        time.sleep(1.5)
    finally:
        _kill(child)
    assert _all_settled(engine, session_ids) and _payment_events(engine) == SESSIONS
    assert outbox.failures(engine) == []
