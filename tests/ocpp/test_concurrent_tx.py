"""ConcurrentTx over a real websocket: a token already in a running transaction that starts another (on another
connector or station) is answered ConcurrentTx (1.6 StartTransaction, 2.0.1 TransactionEvent), and the session the
charger ran anyway is flagged. Its own transaction's messages, a retried start and a new transaction on the same
connector (which ends the old one) are not concurrent; once the first ends the token may start again."""

from __future__ import annotations

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargeledger.directory import tokens
from tests.builders import add_network, add_user_key, at
from tests.ocpp.helpers import api, charger, gateway_on, iso


def _start16(connector: int, tag: str, minute: int):
    return call16.StartTransaction(connector_id=connector, id_tag=tag, meter_start=1000, timestamp=iso(at(minute)))


async def _flags(client, session_id) -> list[str]:
    detail = (await client.get(f"/api/sessions/{session_id}")).json()
    return [f["detail"] for f in detail["flags"] if f["code"] == "token_not_accepted"]


async def test_a_token_charging_elsewhere_is_answered_concurrent_tx_in_1_6(engine):
    add_network(engine)
    tokens.add(engine, "ACME", tokens.TokenEntry("CARD-1"))
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support", "stations"])
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp, api(engine, gateway, key) as client:
        first = await cp.call(_start16(1, "CARD-1", 0))
        assert first.id_tag_info["status"] == "Accepted"
        again = await cp.call(_start16(1, "CARD-1", 0))  # our answer was lost: the same start, not a second one
        assert (again.transaction_id, again.id_tag_info["status"]) == (first.transaction_id, "Accepted")
        second = await cp.call(_start16(2, "card-1", 1))  # CiString: the same card
        assert second.id_tag_info["status"] == "ConcurrentTx"
        assert await _flags(client, second.transaction_id) == ["the charger started anyway with token card-1, "
                                                               "answered ConcurrentTx"]
        assert await _flags(client, first.transaction_id) == []
        # the charger stops the refused one (StopTransactionOnInvalidId) and the first ends: the card is free
        await cp.call(call16.StopTransaction(meter_stop=1000, timestamp=iso(at(2)),
                                             transaction_id=second.transaction_id, reason="DeAuthorized"))
        await cp.call(call16.StopTransaction(meter_stop=5000, timestamp=iso(at(30)),
                                             transaction_id=first.transaction_id, id_tag="CARD-1"))
        third = await cp.call(_start16(2, "CARD-1", 31))
        assert third.id_tag_info["status"] == "Accepted"
        # a fleet card the operator lets charge several vehicles at once
        gateway.settings.concurrent_transactions = True
        fleet = await cp.call(_start16(1, "CARD-1", 32))
        assert fleet.id_tag_info["status"] == "Accepted"


def _event201(event_type: str, txid: str, evse: int, minute: int, seq: int, token: str | None = None,
              trigger: str = "Authorized"):
    return call201.TransactionEvent(
        event_type=event_type, timestamp=iso(at(minute)), trigger_reason=trigger, seq_no=seq,
        transaction_info={"transactionId": txid, "chargingState": "Charging"}, evse={"id": evse, "connectorId": 1},
        id_token={"idToken": token, "type": "ISO14443"} if token else None,
        meter_value=[{"timestamp": iso(at(minute)), "sampledValue": [
            {"value": 1000 + minute, "measurand": "Energy.Active.Import.Register"}]}])


async def test_a_token_charging_elsewhere_is_answered_concurrent_tx_in_2_0_1(engine):
    add_network(engine, ocpp="2.0.1")
    tokens.add(engine, "ACME", tokens.TokenEntry("CARD-1"))
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support", "stations"])
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp, \
            api(engine, gateway, key) as client:
        first = await cp.call(_event201("Started", "tx-a", 1, 0, 0, "CARD-1"))
        assert first.id_token_info["status"] == "Accepted"
        own = await cp.call(_event201("Updated", "tx-a", 1, 1, 1, "CARD-1"))  # its own transaction
        assert own.id_token_info["status"] == "Accepted"
        second = await cp.call(_event201("Started", "tx-b", 2, 2, 0, "card-1"))
        assert second.id_token_info["status"] == "ConcurrentTx"
        flagged = gateway.recorder.session_by_transaction("CP-1", "tx-b")
        assert await _flags(client, flagged) == ["the charger started anyway with token card-1, answered "
                                                 "ConcurrentTx"]
        assert await _flags(client, gateway.recorder.session_by_transaction("CP-1", "tx-a")) == []
        # the station ends tx-b (DeAuthorized); a new transaction on EVSE 1 ends tx-a (one per EVSE): not concurrent
        await cp.call(call201.TransactionEvent(
            event_type="Ended", timestamp=iso(at(3)), trigger_reason="Deauthorized", seq_no=1,
            transaction_info={"transactionId": "tx-b", "stoppedReason": "DeAuthorized"}, evse={"id": 2}))
        renewed = await cp.call(_event201("Started", "tx-c", 1, 5, 0, "CARD-1"))
        assert renewed.id_token_info["status"] == "Accepted"
