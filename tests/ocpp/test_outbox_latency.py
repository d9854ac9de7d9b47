"""Settlement off the charger's path (issue 12): with a payment gateway that takes 2 s per capture, a charger's
StopTransaction is answered at once over a real websocket, and the capture lands later, from the outbox worker."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from ocpp.v16 import call

from chargeledger.ledger import outbox
from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import current_settlement
from tests.builders import at
from tests.ocpp.helpers import charger, gateway_on, iso
from tests.ocpp.test_settlement_orderings import _network
from tests.settlement.helpers import record_session

GATEWAY_SECONDS = 2.0


async def _until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the outbox worker did not get there"
        await asyncio.sleep(0.05)


async def test_a_slow_gateway_does_not_delay_the_chargers_answer(engine, monkeypatch):
    _network(engine)
    monkeypatch.setenv("CHARGELEDGER_SIMULATED_GATEWAY_DELAY", str(GATEWAY_SECONDS))
    worker = outbox.Worker(engine, poll_interval=0.5).start()
    try:
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0,
                                                          timestamp=iso(at(1))))
            # A card-paid session settles now: the worker is inside the gateway's capture for 2 s.
            card = await asyncio.to_thread(record_session, engine, "card-1")
            await asyncio.sleep(0.3)
            began = time.perf_counter()
            answer = await cp.call(call.StopTransaction(meter_stop=22000, timestamp=iso(at(121)),
                                                        transaction_id=started.transaction_id, reason="Local"))
            stop_seconds = time.perf_counter() - began
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(at(125))))
            assert answer is not None  # a CallResult, not an error
            assert stop_seconds < 0.2, f"StopTransaction answered after {stop_seconds:.3f} s"
            assert payments_of(engine, card) == [] or payments_of(engine, card)[0]["status"] == "pending", \
                "the capture had already finished: the test proved nothing"
            charged = gateway.recorder.session_by_transaction("CP-1", str(started.transaction_id))
            await _until(lambda: bool(payments_of(engine, card))
                         and payments_of(engine, card)[0]["status"] == "captured"
                         and current_settlement(engine, charged) is not None and bool(payments_of(engine, charged)))
        assert Decimal(payments_of(engine, card)[0]["amount_captured"]) > 0
        assert outbox.failures(engine) == []
    finally:
        worker.stop()
