"""Remote stop through the API (accepted, rejected, offline, timeout), commands, and a gateway restart mid-session."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from ocpp.v201 import call as call201

from chargeledger.ledger import Ledger
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, support_key


async def _started(cp) -> int:
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                          timestamp=iso(at(0))))
    return (await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                timestamp=iso(at(1))))).transaction_id


@pytest.mark.parametrize("answer,http,status", [("Accepted", 200, "Stopping"), ("Rejected", 409, "Charging"),
                                                (None, 504, "Charging")])
async def test_remote_stop_1_6(engine, answer, http, status):
    add_network(engine)
    key = support_key(engine)
    async with gateway_on(engine, command_timeout=0.5) as gateway, charger(gateway, "CP-1") as cp:
        tx = await _started(cp)
        cp.answer = answer
        async with api(engine, gateway, key) as client:
            response = await client.post(f"/api/sessions/{tx}/stop")
            assert response.status_code == http, response.text
            assert (await client.get(f"/api/sessions/{tx}")).json()["status"] == status
            if answer == "Accepted":  # the charger's own stop then makes it Stopped
                await cp.call(call.StopTransaction(meter_stop=3000, timestamp=iso(at(30)), transaction_id=tx,
                                                   reason="Remote"))
                assert (await client.get(f"/api/sessions/{tx}")).json()["status"] == "Stopped"


async def test_remote_stop_of_an_offline_station_and_commands(engine):
    add_network(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1") as cp:
            tx = await _started(cp)
            async with api(engine, gateway, key) as client:
                ok = await client.post("/api/stations/CP-1/commands/Reset", json={"type": "Hard"})
                assert ok.status_code == 200 and ok.json()["answer"]["status"] == "Accepted"
                bad = await client.post("/api/stations/CP-1/commands/Reset", json={"kind": "Hard"})
                assert bad.status_code == 400
                unknown = await client.post("/api/stations/CP-1/commands/SelfDestruct", json={})
                assert unknown.status_code == 400
        async with api(engine, gateway, key) as client:
            offline = await client.post(f"/api/sessions/{tx}/stop")
            assert offline.status_code == 409 and "not connected" in offline.json()["detail"]
            assert (await client.get(f"/api/sessions/{tx}")).json()["status"] == "Charging"


async def test_remote_stop_2_0_1_and_get_variables(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        await cp.call(call201.TransactionEvent(event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized",
                                               seq_no=0, transaction_info={"transactionId": "r1",
                                                                           "chargingState": "Charging"},
                                               evse={"id": 1, "connectorId": 1}))
        session_id = gateway.recorder.session_by_transaction("CP-1", "r1")
        async with api(engine, gateway, key) as client:
            assert (await client.post(f"/api/sessions/{session_id}/stop")).json()["status"] == "Stopping"
            answer = await client.post("/api/stations/CP-1/commands/GetVariables", json={"getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
            assert answer.json()["answer"]["get_variable_result"][0]["attribute_value"] == "42"


async def test_restart_mid_session_loses_nothing_acknowledged(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        tx = await _started(cp)
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": iso(at(10)), "sampledValue": [{"value": "2000"}]}]))
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:  # a new process on the same DB
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": iso(at(10)), "sampledValue": [{"value": "2000"}]}]))  # resent: it never saw our reply
        await cp.call(call.StopTransaction(meter_stop=5000, timestamp=iso(at(40)), transaction_id=tx))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                              timestamp=iso(at(45))))
    view = Ledger(engine).project(tx)
    assert view.status.value == "Completed" and view.energy_wh == 5000
    assert len(Ledger(engine).samples(tx)) == 3  # start, the one reading (once), stop
