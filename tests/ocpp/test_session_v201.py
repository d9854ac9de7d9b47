"""OCPP 2.0.1 sessions: TransactionEvent by seqNo, offline events out of order, EV leaving settles the session."""

from __future__ import annotations

import random

from ocpp.v201 import call

from chargeledger.ledger import Ledger
from chargeledger.settlement.store import current_settlement
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, settled, support_key


def energy(minutes: float, kwh: float, kw: float, context: str = "Sample.Periodic") -> list[dict]:
    return [{"timestamp": iso(at(minutes)), "sampledValue": [
        {"value": kwh, "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "kWh"}},
        {"value": kw, "context": context, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W",
                                                                                                  "multiplier": 3}},
        {"value": 7.5, "context": context, "measurand": "Current.Import", "phase": "L1"},
    ]}]


def events(txid: str, offline: bool = False) -> list[call.TransactionEvent]:
    info = {"transactionId": txid}

    def event(kind, minute, seq, trigger, state=None, meter=None, **extra):
        return call.TransactionEvent(event_type=kind, timestamp=iso(at(minute)), trigger_reason=trigger, seq_no=seq,
                                     transaction_info={**info, **({"chargingState": state} if state else {}),
                                                       **extra.pop("info", {})},
                                     meter_value=meter, offline=offline or None, **extra)

    return [
        event("Started", 0, 0, "CablePluggedIn", "EVConnected", energy(0, 10.0, 0, "Transaction.Begin"),
              evse={"id": 1, "connectorId": 1}),
        event("Updated", 1, 1, "Authorized", id_token={"idToken": "TAG-201", "type": "ISO14443"}),
        event("Updated", 2, 2, "ChargingStateChanged", "Charging", energy(2, 10.0, 11)),
        event("Updated", 32, 3, "MeterValuePeriodic", meter=energy(32, 15.5, 11)),
        event("Updated", 60, 4, "ChargingStateChanged", "SuspendedEV", energy(60, 20.0, 0)),
        event("Ended", 75, 5, "EVDeparted", "Idle", energy(75, 20.0, 0, "Transaction.End"),
              info={"stoppedReason": "EVDisconnected"}),
    ]


async def test_full_session_and_api_read_back(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        boot = await cp.call(call.BootNotification(charging_station={"model": "Eve", "vendorName": "Alfen"},
                                                   reason="PowerUp"))
        assert boot.status == "Accepted"
        await cp.call(call.StatusNotification(timestamp=iso(at(0)), connector_status="Occupied", evse_id=1,
                                              connector_id=1))
        for event in events("tx-1"):
            await cp.call(event)
        await cp.call(call.NotifyEvent(generated_at=iso(at(76)), seq_no=0, event_data=[{
            "eventId": 1, "timestamp": iso(at(76)), "trigger": "Delta", "actualValue": "Available",
            "eventNotificationType": "HardWiredNotification", "component": {"name": "Connector"},
            "variable": {"name": "AvailabilityState"}}]))
        await settled(gateway)
        session_id = gateway.recorder.session_by_transaction("CP-1", "tx-1")
        async with api(engine, gateway, key) as client:
            detail = (await client.get(f"/api/sessions/{session_id}")).json()
            log = (await client.get(f"/api/sessions/{session_id}/ocpp-log", params={"widen": 10})).json()["items"]
    assert detail["status"] == "Completed"
    assert detail["energy_wh"] == 10000
    assert detail["evse_id"] == "NL*ACM*ECP1*1"
    assert detail["plug_seconds"] == 75 * 60
    assert detail["charging_seconds"] == 58 * 60
    assert detail["idle_seconds"] == 15 * 60
    assert detail["identity"]["id_token"] == "TAG-201"
    assert detail["stop_reason"] == "EVDisconnected"
    assert {"NotifyEvent", "BootNotification", "TransactionEvent"} <= {f["action"] for f in log}  # widened


async def test_offline_events_out_of_order_give_the_same_session(engine):
    add_network(engine, ocpp="2.0.1")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        for event in events("online"):
            await cp.call(event)
        queued = events("offline", offline=True)
        random.Random(7).shuffle(queued)
        for event in queued + queued[:2]:  # and two resent after reconnecting
            await cp.call(event)
    ledger = Ledger(engine)
    online = ledger.project(gateway.recorder.session_by_transaction("CP-1", "online"))
    offline_id = gateway.recorder.session_by_transaction("CP-1", "offline")
    offline = ledger.project(offline_id)
    online_id = gateway.recorder.session_by_transaction("CP-1", "online")

    def facts(session_id):  # what the charger told us; settling early and re-pricing adds our own events
        return sorted(e.kind.value for e in ledger.events(session_id)
                      if e.source.value == "ocpp" and e.kind.value != "late_facts")

    assert facts(offline_id) == facts(online_id)
    totals = [current_settlement(engine, sid) for sid in (online_id, offline_id)]
    assert totals[0] is not None and totals[0]["payment_total"] == totals[1]["payment_total"]
    assert totals[0]["total_energy_kwh"] == totals[1]["total_energy_kwh"]
    for field in ("status", "energy_wh", "started_at", "stopped_at", "ended_at", "stop_reason"):
        assert getattr(offline, field) == getattr(online, field), field
    assert offline.intervals.charging_duration == online.intervals.charging_duration
    assert offline.identity.id_token == "TAG-201"
