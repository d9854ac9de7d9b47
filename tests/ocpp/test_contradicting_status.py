"""A connector status that contradicts a session still recorded as running closes it after the grace period for
ordering (ocpp/contradicting_status.py), flagged and with its reason in the ledger; a stop or a reading that
follows the status, or the connector going back to charging, keeps the session as it is. Over real websockets."""

from __future__ import annotations

from datetime import timedelta

from ocpp.v16 import call as c16
from ocpp.v201 import call as c201
from sqlalchemy import select

from chargeledger.domain.events import EventKind
from chargeledger.ledger import Ledger
from chargeledger.ocpp.housekeeping import sweep
from chargeledger.ocpp.settings import GatewaySettings
from chargeledger.storage.tables import sessions
from tests.builders import add_network, at
from tests.ocpp.helpers import charger, gateway_on, iso

SETTINGS = GatewaySettings(stop_grace=timedelta(minutes=15))
REGISTER = "Energy.Active.Import.Register"


def _view(engine, session_id):
    return Ledger(engine).project(session_id)


def _closing(engine, session_id):
    return next(e for e in Ledger(engine).events(session_id) if e.kind == EventKind.FORCE_CLOSED)


async def _start16(cp, connector: int, wh: int, minute: float) -> int:
    tx = (await cp.call(c16.StartTransaction(connector_id=connector, id_tag="T1", meter_start=0,
                                             timestamp=iso(at(0))))).transaction_id
    await cp.call(c16.MeterValues(connector_id=connector, transaction_id=tx, meter_value=[{
        "timestamp": iso(at(minute)), "sampledValue": [{"value": str(wh), "measurand": REGISTER, "unit": "Wh"}]}]))
    return tx


async def _status16(cp, connector: int, status: str, minute: float, error: str = "NoError"):
    await cp.call(c16.StatusNotification(connector_id=connector, error_code=error, status=status,
                                         timestamp=iso(at(minute))))


async def test_1_6_faulted_or_unavailable_closes_the_session_after_the_grace_unless_it_goes_on(engine):
    add_network(engine, evse_ids=("NL*ACM*ECP1*1", "NL*ACM*ECP1*2", "NL*ACM*ECP1*3", "NL*ACM*ECP1*4"))
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        faulted = await _start16(cp, 1, 2000, 10)
        await _status16(cp, 1, "Faulted", 11, "GroundFailure")
        unavailable = await _start16(cp, 2, 1500, 10)
        await _status16(cp, 2, "Unavailable", 12)
        recovered = await _start16(cp, 3, 1000, 10)  # a passing fault: the connector charges again
        await _status16(cp, 3, "Faulted", 11, "OverCurrentFailure")
        await _status16(cp, 3, "Charging", 13)
        metered = await _start16(cp, 4, 1000, 10)  # readings after the fault: the transaction went on
        await _status16(cp, 4, "Faulted", 11, "OtherError")
        await cp.call(c16.MeterValues(connector_id=4, transaction_id=metered, meter_value=[{
            "timestamp": iso(at(14)), "sampledValue": [{"value": "1200", "measurand": REGISTER, "unit": "Wh"}]}]))

    assert sweep(engine, SETTINGS, at(20))["closed"] == 0  # within the grace: the stop may still be on its way
    assert sweep(engine, SETTINGS, at(30))["closed"] == 2
    view = _view(engine, faulted)
    assert view.status.value == "Completed" and view.energy_wh == 2000
    assert view.stopped_at - at(10) < timedelta(seconds=1)  # billed up to its last reading, not up to the sweep
    assert view.stop_reason == ("Closed automatically: the connector reported a fault that ended charging (Faulted) "
                                "and no stop or reading followed within 15 min")
    assert "closed_by_station" in {f.code.value for f in view.flags}
    assert _closing(engine, faulted).payload["evidence"] == \
        f"StatusNotification Faulted, GroundFailure at {at(11).isoformat()}"
    assert "out of service (Unavailable)" in _view(engine, unavailable).stop_reason
    assert _view(engine, recovered).status.value == "Charging"
    assert _view(engine, metered).status.value == "Charging"
    assert sweep(engine, SETTINGS, at(45))["closed"] == 0  # once only; the others still go on


async def test_1_6_a_stop_sent_after_the_status_ends_the_session_normally(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        tx = await _start16(cp, 1, 2000, 10)
        await _status16(cp, 1, "Faulted", 11, "GroundFailure")  # status first, as 1.6 chargers often send them
        await cp.call(c16.StopTransaction(meter_stop=2100, timestamp=iso(at(11.5)), transaction_id=tx,
                                          reason="EmergencyStop"))
    assert sweep(engine, SETTINGS, at(30))["closed"] == 0
    view = _view(engine, tx)
    assert view.energy_wh == 2100 and "closed_by_station" not in {f.code.value for f in view.flags}


async def test_2_0_1_available_unavailable_or_faulted_during_a_transaction_closes_it(engine):
    add_network(engine, ocpp="2.0.1", evse_ids=("NL*ACM*ECP1*1", "NL*ACM*ECP1*2"))
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        async def started(txid, evse):
            await cp.call(c201.TransactionEvent(
                event_type="Started", timestamp=iso(at(0)), trigger_reason="CablePluggedIn", seq_no=0,
                transaction_info={"transactionId": txid, "chargingState": "Charging"},
                evse={"id": evse, "connectorId": 1},
                meter_value=[{"timestamp": iso(at(5)), "sampledValue": [{"value": 3000.0, "measurand": REGISTER}]}]))
            with engine.connect() as conn:
                return conn.execute(select(sessions.c.id).where(sessions.c.transaction_id == txid)).scalar_one()
        left = await started("TX-A", 1)
        going = await started("TX-B", 2)
        await cp.call(c201.StatusNotification(timestamp=iso(at(6)), connector_status="Available", evse_id=1,
                                              connector_id=1))
        await cp.call(c201.StatusNotification(timestamp=iso(at(6)), connector_status="Occupied", evse_id=2,
                                              connector_id=1))
    assert sweep(engine, SETTINGS, at(15))["closed"] == 0
    assert sweep(engine, SETTINGS, at(25))["closed"] == 1
    view = _view(engine, left)
    assert view.stop_reason.startswith("Closed automatically: the connector reported no vehicle connected (Available)")
    assert not view.status.is_active and "closed_by_station" in {f.code.value for f in view.flags}
    assert _view(engine, going).status.is_active  # Occupied agrees with a running transaction
