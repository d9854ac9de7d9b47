"""A whole OCPP 1.6J session over a real websocket, stored in the ledger and read back through the HTTP API."""

from __future__ import annotations

from ocpp.v16 import call

from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, settled, support_key


def meter(minutes: float, wh: float, power_w: float) -> dict:
    return {"timestamp": iso(at(minutes)), "sampledValue": [
        {"value": f"{wh / 1000:.3f}", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
        {"value": str(power_w), "unit": "W", "measurand": "Power.Active.Import"},
        {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
        {"value": "not-a-number", "measurand": "Current.Import", "unit": "A"},  # ignored with a logged reason
    ]}


def status(connector: int, name: str, minutes: float):
    return call.StatusNotification(connector_id=connector, error_code="NoError", status=name,
                                   timestamp=iso(at(minutes)))


async def test_full_session_reads_back_through_the_api(engine):
    add_network(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        boot = await cp.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
        assert boot.status == "Accepted"
        await cp.call(call.Heartbeat())
        await cp.call(status(1, "Preparing", 0))
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000,
                                                      timestamp=iso(at(1))))
        tx = started.transaction_id
        await cp.call(status(1, "Charging", 1))
        for minute, wh in ((1, 1000), (16, 3500), (31, 6000), (46, 8000)):
            await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[meter(minute, wh, 10000)]))
        await cp.call(status(1, "SuspendedEV", 50))
        await cp.call(call.StopTransaction(meter_stop=8500, timestamp=iso(at(61)), transaction_id=tx,
                                           reason="EVDisconnected", transaction_data=[meter(61, 8500, 0)]))
        await cp.call(status(1, "Finishing", 61))
        await cp.call(status(1, "Available", 70))
        await settled(gateway)
        async with api(engine, gateway, key) as client:
            detail = (await client.get(f"/api/sessions/{tx}")).json()
            log = (await client.get(f"/api/sessions/{tx}/ocpp-log")).json()["items"]
            station_log = (await client.get("/api/stations/CP-1/ocpp-log",
                                            params={"from": iso(at(-60000)), "to": "2999-01-01T00:00:00Z"})).json()
    assert detail["status"] == "Completed"
    assert detail["transaction_id"] == str(tx)
    assert detail["energy_wh"] == 7500
    assert detail["plug_seconds"] == 70 * 60
    assert detail["charging_seconds"] == 49 * 60  # Charging from minute 1 until SuspendedEV at 50
    assert detail["identity"]["id_token"] == "TAG-1"
    assert detail["stop_reason"] == "EVDisconnected"
    milestones = [m["milestone"] for m in detail["timeline"]]
    assert milestones[:2] == ["Created", "Starting"] and "Released" in milestones and "Completed" in milestones
    actions = [(f["direction"], f["action"]) for f in log]
    assert ("in", "StartTransaction") in actions and ("in", "StopTransaction") in actions
    assert ("out", "StartTransaction") in actions  # the answer is labelled with its request's action
    assert all(f["session_id"] == tx for f in log)
    assert len(station_log["items"]) == 2 * 13  # every frame, both directions, including the boot and heartbeat


async def test_retries_and_resends_add_nothing(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        start = call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=iso(at(0)))
        first = await cp.call(start)
        again = await cp.call(start)  # our answer was lost: the charger retries
        assert again.transaction_id == first.transaction_id
        values = call.MeterValues(connector_id=1, transaction_id=first.transaction_id,
                                  meter_value=[meter(10, 2000, 11000)])
        await cp.call(values, unique_id="same-id")
        await cp.call(values, unique_id="same-id")  # the same frame resent with its unique id
        stop = call.StopTransaction(meter_stop=4000, timestamp=iso(at(20)), transaction_id=first.transaction_id)
        await cp.call(stop)
        await cp.call(stop)
    from chargeledger.ledger import Ledger
    ledger = Ledger(engine)
    kinds = [e.kind.value for e in ledger.events(first.transaction_id)]
    assert kinds.count("transaction_started") == 1 and kinds.count("transaction_stopped") == 1
    assert ledger.project(first.transaction_id).energy_wh == 4000
    assert len([s for s in ledger.samples(first.transaction_id) if s.measurand == 1]) == 3


async def test_stop_for_an_unknown_transaction_is_kept_as_an_orphan(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        answer = await cp.call(call.StopTransaction(meter_stop=5000, timestamp=iso(at(5)), transaction_id=987654))
        assert answer is not None
    from chargeledger.ledger import Ledger
    from chargeledger.storage.tables import sessions
    from sqlalchemy import select
    with engine.connect() as conn:
        session_id = conn.execute(select(sessions.c.id).where(
            sessions.c.external_key == "ocpp:CP-1:orphan:987654")).scalar_one()
    view = Ledger(engine).project(session_id)
    assert "orphan_stop" in {f.code.value for f in view.flags}
