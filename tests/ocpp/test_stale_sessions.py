"""Sessions the station itself shows are over are closed and flagged, not left Charging: a reboot, or a new
transaction on the same connector/EVSE. An operator can end one with a reason too (ledger and audit trail)."""

from __future__ import annotations

from datetime import timedelta

from ocpp.v16 import call as c16
from ocpp.v201 import call as c201
from sqlalchemy import select

from chargeledger.ledger import Ledger
from chargeledger.storage.tables import audit_entries, sessions
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, support_key


def _view(engine, session_id):
    return Ledger(engine).project(session_id)


def _flags(view) -> set[str]:
    return {f.code.value for f in view.flags}


async def test_a_reboot_closes_the_sessions_left_running_at_their_last_fact(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1") as cp:
            tx = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T1", meter_start=1000,
                                                     timestamp=iso(at(0))))).transaction_id
            await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
                "timestamp": iso(at(10)), "sampledValue": [
                    {"value": "4000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))
        assert _view(engine, tx).status.value == "Charging"  # the link dropped: nothing says it ended yet
        async with charger(gateway, "CP-1") as cp:  # the charger comes back after a power cut
            await cp.call(c16.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            view = _view(engine, tx)
            assert view.status.value == "Completed"
            assert view.stopped_at - at(10) < timedelta(seconds=1)  # billed up to what it metered, not up to the reboot
            assert view.energy_wh == 3000
            assert view.stop_reason == "Closed automatically: the station rebooted"
            assert "closed_by_station" in _flags(view)
            # a second boot changes nothing more
            before = len(Ledger(engine).events(tx))
            await cp.call(c16.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            assert len(Ledger(engine).events(tx)) == before


async def test_a_new_transaction_on_the_connector_closes_the_one_still_running(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        old = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0,
                                                  timestamp=iso(at(0))))).transaction_id
        new = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T2", meter_start=500,
                                                  timestamp=iso(at(60))))).transaction_id
        assert new != old
        assert _view(engine, new).status.value == "Charging"
        closed = _view(engine, old)
        assert closed.status.value in ("Completed", "Cancelled")
        assert closed.stop_reason == "Closed automatically: a new transaction started on connector 1"
        assert "closed_by_station" in _flags(closed)


async def test_2_0_1_a_new_transaction_on_the_evse_and_a_reboot_close_the_old_ones(engine):
    add_network(engine, ocpp="2.0.1")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        async def started(txid, minute):
            await cp.call(c201.TransactionEvent(
                event_type="Started", timestamp=iso(at(minute)), trigger_reason="CablePluggedIn", seq_no=0,
                transaction_info={"transactionId": txid, "chargingState": "Charging"}, evse={"id": 1, "connectorId": 1},
                meter_value=[{"timestamp": iso(at(minute)), "sampledValue": [
                    {"value": 100.0, "measurand": "Energy.Active.Import.Register"}]}]))
            with engine.connect() as conn:
                return conn.execute(select(sessions.c.id).where(sessions.c.transaction_id == txid)).scalar_one()
        first = await started("TX-A", 0)
        second = await started("TX-B", 30)
        assert "closed_by_station" in _flags(_view(engine, first))
        assert _view(engine, second).status.value == "Charging"
        await cp.call(c201.BootNotification(charging_station={"model": "M", "vendorName": "V"}, reason="PowerUp"))
        view = _view(engine, second)
        assert view.stop_reason == "Closed automatically: the station rebooted (PowerUp)"
        assert not view.status.is_active


async def test_an_operator_ends_a_stale_session_with_a_reason_in_the_ledger_and_the_audit_trail(engine):
    add_network(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1") as cp:
            tx = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0,
                                                     timestamp=iso(at(0))))).transaction_id
        async with api(engine, gateway, key) as http:
            refused = await http.post(f"/api/sessions/{tx}/force-close", json={"why": "   "})
            assert refused.status_code == 400
            answer = await http.post(f"/api/sessions/{tx}/force-close", json={"why": "charger replaced"})
            assert answer.status_code == 200, answer.text
            again = await http.post(f"/api/sessions/{tx}/force-close", json={"why": "twice"})
            assert again.status_code == 409
    view = _view(engine, tx)
    assert view.stop_reason == "Ended by support@acme.example: charger replaced"
    assert "force_closed" in _flags(view)
    with engine.connect() as conn:
        audit = conn.execute(select(audit_entries.c.action, audit_entries.c.actor)).all()
    assert ("session.force_close", "support@acme.example") in [tuple(r) for r in audit]


async def test_vehicle_gone_without_a_stop_is_closed_after_the_grace_period(engine):
    from chargeledger.ocpp.housekeeping import sweep
    from chargeledger.ocpp.settings import GatewaySettings
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        tx = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0,
                                                 timestamp=iso(at(0))))).transaction_id
        await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": iso(at(20)), "sampledValue": [
                {"value": "2000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))
        await cp.call(c16.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                             timestamp=iso(at(21))))
    settings = GatewaySettings(stop_grace=timedelta(minutes=15))
    assert sweep(engine, settings, at(30))["closed"] == 0  # its StopTransaction may still be on its way
    assert _view(engine, tx).status.value == "Charging"
    assert sweep(engine, settings, at(40))["closed"] == 1
    view = _view(engine, tx)
    assert view.status.value == "Completed" and view.energy_wh == 2000
    assert view.stop_reason.startswith("Closed automatically: the vehicle was reported gone")
    assert "closed_by_station" in _flags(view)
    assert sweep(engine, settings, at(50))["closed"] == 0  # once only
