"""A charger's session is settled on all its facts, whatever order its messages arrive in (issue 12, item 3).

Each test plays one session twice over a real websocket, on two connectors of one station: in order on connector
1, and in an order a real charger or its offline queue produces on connector 2. Both must end with the same energy
and the same price in the current settlement, and the payment must owe exactly that price.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from ocpp.v16 import call
from ocpp.v201 import call as call201
from sqlalchemy import select

from chargeledger.domain.events import EventKind
from chargeledger.ledger.store import Ledger
from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import current_settlement, settlements_of
from chargeledger.storage.tables import sessions
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, at
from tests.ocpp.helpers import charger, gateway_on, iso, settled
from tests.settlement.helpers import tariff_text

TARIFF = {
    "country_code": "NL", "party_id": "ACM", "id": "ORDER-1", "currency": "EUR", "type": "REGULAR",
    "elements": [{"price_components": [
        {"type": "ENERGY", "price": "0.40", "vat": "21.0", "step_size": 1},
        {"type": "TIME", "price": "1.20", "vat": "21.0", "step_size": 60},
        {"type": "FLAT", "price": "0.50", "vat": "21.0", "step_size": 1}]}],
    "last_updated": "2024-01-01T00:00:00Z",
}


def _network(engine, version="1.6"):
    add_network(engine, ocpp=version)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text(TARIFF))
    tariffs.assign(engine, stored.tariff_id, "site", "ACME-SITE")


def _status(connector, name, minutes):
    return call.StatusNotification(connector_id=connector, error_code="NoError", status=name,
                                   timestamp=iso(at(minutes)))


def _reading(minutes, wh):
    return {"timestamp": iso(at(minutes)), "sampledValue": [
        {"value": str(wh), "unit": "Wh", "measurand": "Energy.Active.Import.Register"}]}


def _messages16(connector, readings):
    """The session's messages by name; those after the start need the transaction id, so they are functions."""
    steps = {
        "preparing": lambda tx: _status(connector, "Preparing", 0),
        "start": lambda tx: call.StartTransaction(connector_id=connector, id_tag="TAG-1", meter_start=0,
                                                  timestamp=iso(at(1))),
        "stop": lambda tx: call.StopTransaction(meter_stop=22000, timestamp=iso(at(121)), transaction_id=tx,
                                                reason="EVDisconnected"),
        "available": lambda tx: _status(connector, "Available", 125),
    }
    for minute, wh in readings:
        steps[f"mv{minute}"] = (lambda m, w: lambda tx: call.MeterValues(
            connector_id=connector, transaction_id=tx, meter_value=[_reading(m, w)]))(minute, wh)
    return steps


async def _play16(cp, steps, order):
    tx = None
    for name in order:
        answer = await cp.call(steps[name](tx))
        if name == "start":
            tx = answer.transaction_id
    return tx


def _outcome(engine, session_id):
    settlement = current_settlement(engine, session_id)
    assert settlement is not None, f"session {session_id} was never settled"
    with engine.connect() as conn:
        energy = conn.execute(select(sessions.c.energy_wh).where(sessions.c.id == session_id)).scalar()
    payment = payments_of(engine, session_id)[0]
    owed = Decimal(payment["amount_captured"]) + Decimal(payment["unsettled_amount"])
    assert owed == Decimal(settlement["payment_total"]), (payment, settlement)  # the payment follows the price
    return energy, Decimal(settlement["payment_total"])


READINGS = [(16, 3000), (31, 6000), (46, 9000), (61, 12000), (76, 15000), (91, 18000), (106, 21000)]
IN_ORDER = ["preparing", "start", *[f"mv{m}" for m, _ in READINGS], "stop", "available"]
ORDERS = {
    # many 1.6 chargers say Available before StopTransaction (issue 12: billed 9.8 % too little)
    "available before stop": ["preparing", "start", *[f"mv{m}" for m, _ in READINGS], "available", "stop"],
    # an offline queue flushed after the charger already reported the end
    "readings after settlement": ["preparing", "start", "stop", "available", *[f"mv{m}" for m, _ in READINGS]],
    "readings between available and stop": ["preparing", "start", "available",
                                            *[f"mv{m}" for m, _ in READINGS], "stop"],
    "stop resent after settlement": [*IN_ORDER, "stop"],
}


@pytest.mark.parametrize("order", list(ORDERS))
async def test_v16_orderings_settle_on_every_fact(engine, order):
    _network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        expected_tx = await _play16(cp, _messages16(1, READINGS), IN_ORDER)
        permuted_tx = await _play16(cp, _messages16(2, READINGS), ORDERS[order])
        await settled(gateway)
    expected = _outcome(engine, expected_tx)
    assert expected[0] == 22000
    assert _outcome(engine, permuted_tx) == expected


async def test_v16_start_and_stop_only_with_available_first_bills_the_whole_energy(engine):
    """Issue 12: 0 kWh and 2.40 of 11.20 billed when Available came before the stop."""
    _network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        expected_tx = await _play16(cp, _messages16(1, []), ["preparing", "start", "stop", "available"])
        permuted_tx = await _play16(cp, _messages16(2, []), ["preparing", "start", "available", "stop"])
        await settled(gateway)
    assert _outcome(engine, permuted_tx) == _outcome(engine, expected_tx)
    assert _outcome(engine, permuted_tx)[0] == 22000
    assert len(settlements_of(engine, permuted_tx)) == 1  # settled once, when both facts were in


def _events201(txid, evse):
    def event(kind, minutes, trigger, seq, wh, **extra):
        info = {"transactionId": txid, **extra.pop("info", {})}
        return call201.TransactionEvent(
            event_type=kind, timestamp=iso(at(minutes)), trigger_reason=trigger, seq_no=seq,
            transaction_info=info, evse={"id": evse, "connectorId": 1}, offline=True,
            meter_value=[{"timestamp": iso(at(minutes)), "sampledValue": [
                {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}]}],
            **extra)
    return {
        "started": event("Started", 1, "Authorized", 0, 0, id_token={"idToken": "TAG-201", "type": "ISO14443"},
                         info={"chargingState": "Charging"}),
        "updated": event("Updated", 60, "MeterValuePeriodic", 1, 11000, info={"chargingState": "Charging"}),
        "ended": event("Ended", 121, "EVDeparted", 2, 22000,
                       info={"stoppedReason": "EVDisconnected", "chargingState": "Idle"}),
    }


@pytest.mark.parametrize("order", [["ended", "started", "updated"], ["ended", "updated", "started"],
                                   ["started", "ended", "updated"]])
async def test_v201_offline_queue_out_of_order_is_priced_like_in_order(engine, order):
    """Issue 12: Ended before Started left the session never priced."""
    _network(engine, "2.0.1")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        for name in ("started", "updated", "ended"):
            await cp.call(_events201("in-order", 1)[name])
        for name in order:
            await cp.call(_events201("shuffled", 2)[name])
        await settled(gateway)
        expected = _outcome(engine, gateway.recorder.session_by_transaction("CP-1", "in-order"))
        shuffled = _outcome(engine, gateway.recorder.session_by_transaction("CP-1", "shuffled"))
    assert expected[0] == 22000 and shuffled == expected


async def test_v16_corrected_reading_after_settlement_reprices_and_moves_the_difference(engine):
    """Issue 12: a corrected meter reading (same time, new value) that arrives after settlement re-prices the session.

    The glitched reading at minute 46 (9 Wh where the register stood at 9,000) reads as a register reset and counts
    6,000 Wh twice; its correction, resent for the same time, must replace it, give the session a new version at
    22 kWh and carry the difference to the payment. A correction resent a second time changes nothing more.
    """
    _network(engine)
    glitched = [(m, 9 if m == 46 else wh) for m, wh in READINGS]
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        tx = await _play16(cp, _messages16(1, glitched), IN_ORDER)
        await settled(gateway)
        energy_before, price_before = _outcome(engine, tx)
        assert energy_before == 28000
        correction = call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[_reading(46, 9000)])
        await cp.call(correction)
        await settled(gateway)
        await cp.call(correction)  # resent: the same fingerprint, no new version
        await settled(gateway)
    energy_after, price_after = _outcome(engine, tx)
    assert energy_after == 22000
    assert price_after < price_before
    assert [s["version"] for s in settlements_of(engine, tx)] == [1, 2]
    payment = payments_of(engine, tx)[0]  # invoiced to the driver's account: the invoice amount follows
    assert Decimal(payment["amount_due"]) == price_after
    adjusted = [e for e in Ledger(engine).events(tx) if e.kind == EventKind.PAYMENT_ADJUSTED]
    assert len(adjusted) == 1
