"""Readings stamped by a wrong clock are kept, flagged and left out of the bill (issue 12, item 4), through a real
websocket: one session in order on connector 1, the same with a bad reading on connector 2."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from sqlalchemy import func, select

from chargeledger.storage.tables import meter_samples
from tests.ocpp.helpers import api, charger, gateway_on, settled, support_key
from tests.ocpp.test_settlement_orderings import _network, _outcome, _play16, _reading, _status

READINGS = [(16, 2775), (31, 5550), (46, 8325)]  # 11,100 Wh over the session, from a register at 0


def _messages(connector, bad=None):
    steps = {
        "preparing": lambda tx: _status(connector, "Preparing", 0),
        "start": lambda tx: call.StartTransaction(connector_id=connector, id_tag="TAG-1", meter_start=0,
                                                  timestamp=_stamp(1)),
        "stop": lambda tx: call.StopTransaction(meter_stop=11100, timestamp=_stamp(61),
                                                transaction_id=tx, reason="EVDisconnected"),
        "available": lambda tx: _status(connector, "Available", 65),
    }
    readings = [(_stamp(minutes), wh) for minutes, wh in READINGS]
    if bad:
        readings.insert(1, bad)
    for i, (stamp, wh) in enumerate(readings):
        steps[f"mv{i}"] = (lambda s, w: lambda tx: call.MeterValues(
            connector_id=connector, transaction_id=tx, meter_value=[
                {"timestamp": s, "sampledValue": [{"value": str(w), "unit": "Wh",
                                                   "measurand": "Energy.Active.Import.Register"}]}]))(stamp, wh)
    order = ["preparing", "start", *[f"mv{i}" for i in range(len(readings))], "stop", "available"]
    return steps, order


def _stamp(minutes):
    return _reading(minutes, 0)["timestamp"]


@pytest.mark.parametrize("bad", [("2000-01-01T00:00:00Z", 4000),      # the clock reset mid-session
                                 ("2031-06-01T12:00:00Z", 4000)],     # a clock years ahead
                         ids=["year-2000", "future"])
async def test_a_reading_from_a_wrong_clock_changes_neither_energy_nor_price(engine, bad):
    _network(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        good_steps, good_order = _messages(1)
        bad_steps, bad_order = _messages(2, bad)
        good = await _play16(cp, good_steps, good_order)
        faulty = await _play16(cp, bad_steps, bad_order)
        await settled(gateway)
        async with api(engine, gateway, key) as client:
            detail = (await client.get(f"/api/sessions/{faulty}")).json()
    assert _outcome(engine, faulty) == _outcome(engine, good)
    assert _outcome(engine, faulty)[0] == 11100
    codes = [flag["code"] for flag in detail["flags"]]
    assert "meter_clock_suspect" in codes and "meter_register_reset" not in codes
    with engine.connect() as conn:  # kept in the ledger as received
        stored = conn.execute(select(func.count()).select_from(meter_samples)
                              .where(meter_samples.c.session_id == faulty)).scalar()
        clean = conn.execute(select(func.count()).select_from(meter_samples)
                             .where(meter_samples.c.session_id == good)).scalar()
    assert stored == clean + 1
