"""2.0.1 cases once met only by the generic command route, each played through a real websocket for the behaviour
that matters to the operator: a remote start's TxProfile kept once its transaction starts (TC_K_37), a network
profile slot's answer kept (TC_B_42, 44), a report by component criteria stored as the device model (TC_B_18), a
full empty local list (TC_D_04), and reservations of any EVSE, by connector type and for a group (TC_H_14, 15, 19)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

from ocpp.v201 import call

from chargeledger.directory import tokens
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, held_profiles, iso, support_key
from tests.ocpp.station201 import Station201


def _soon(minutes: int = 30) -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=minutes))


def _tx_profile(profile_id: int, limit: float) -> dict:
    return {"id": profile_id, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": [
                {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}]}


async def test_a_remote_starts_tx_profile_is_kept_with_its_transaction(engine):
    """TC_K_37: RequestStartTransaction with a TxProfile; once the transaction starts the profile is its own, and
    it ends with it; a start the station refuses leaves nothing held."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            held = functools.partial(held_profiles, client, "CP-1")

            cp.status["RequestStartTransaction"] = "Rejected"
            refused = await client.post("/api/stations/CP-1/commands/RequestStartTransaction", json={
                "idToken": {"idToken": "AA-01", "type": "ISO14443"}, "remoteStartId": 6, "evseId": 1,
                "chargingProfile": _tx_profile(31, 10)})
            assert refused.json()["answer"]["status"] == "Rejected"
            assert await held() == {}
            cp.status["RequestStartTransaction"] = "Accepted"
            started = await client.post("/api/stations/CP-1/commands/RequestStartTransaction", json={
                "idToken": {"idToken": "AA-01", "type": "ISO14443"}, "remoteStartId": 7, "evseId": 1,
                "chargingProfile": _tx_profile(30, 16)})
            assert started.json()["answer"]["status"] == "Accepted"
            sent = [r[1] for r in cp.received if r[0] == "RequestStartTransaction"][-1]
            assert sent["charging_profile"]["charging_profile_purpose"] == "TxProfile"

            async def bound():  # the station's TransactionEvent Started (remote-7) follows its answer
                return (await held()).get(30, {}).get("transaction_id") == "remote-7"
            await eventually(bound)
            profile = (await held())[30]
            assert profile["connector_id"] == 1 and set(await held()) == {30}
            await cp.call(call.TransactionEvent(
                event_type="Ended", timestamp=iso(at(40)), trigger_reason="StopAuthorized", seq_no=1,
                transaction_info={"transactionId": "remote-7", "stoppedReason": "Local"}))
            assert await held() == {}  # a TxProfile lives as long as its transaction


async def test_network_profile_answers_are_kept_without_secrets(engine):
    """TC_B_42 (Accepted), TC_B_44 (Failed): each slot's connection data and the station's answer are kept, the VPN
    and APN passwords are not."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    profile = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "ws://csms.example/ocpp",
               "messageTimeout": 30, "securityProfile": 1, "ocppInterface": "Wired0",
               "vpn": {"server": "vpn.example", "user": "cp1", "password": "vpn-secret", "key": "k", "type": "IPSec"}}
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            accepted = await client.post("/api/stations/CP-1/commands/SetNetworkProfile", json={
                "configurationSlot": 1, "connectionData": profile})
            cp.status["SetNetworkProfile"] = "Failed"
            failed = await client.post("/api/stations/CP-1/commands/SetNetworkProfile", json={
                "configurationSlot": 2, "connectionData": {**profile, "ocppCsmsUrl": "ws://unreachable/ocpp"}})
            topics = (await client.get("/api/stations/CP-1/state")).json()["topics"]
    assert (accepted.json()["answer"]["status"], failed.json()["answer"]["status"]) == ("Accepted", "Failed")
    one, two = topics["network_profile:1"]["value"], topics["network_profile:2"]["value"]
    assert (one["status"], two["status"]) == ("Accepted", "Failed")
    assert one["connection_data"]["ocpp_csms_url"] == "ws://csms.example/ocpp"
    assert two["connection_data"]["ocpp_csms_url"] == "ws://unreachable/ocpp"
    assert one["connection_data"]["vpn"]["server"] == "vpn.example" and "vpn-secret" not in str(topics)


async def test_a_report_by_component_criteria_is_stored_as_the_device_model(engine):
    """TC_B_18: GetReport for one component: what the station reports of it is kept, nothing else is added; criteria
    that match nothing are answered EmptyResultSet."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        cp.device[("EVSE", 1, "Power")] = ("11000", "ReadOnly")
        async with api(engine, gateway, key) as client:
            asked = await client.post("/api/stations/CP-1/commands/GetReport", json={
                "requestId": 18, "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 1}}}]})
            assert asked.json()["answer"]["status"] == "Accepted"

            async def model():
                return (await client.get("/api/stations/CP-1/variables")).json()["items"]
            await eventually(model)
            items = await model()
            none = await client.post("/api/stations/CP-1/commands/GetReport", json={
                "requestId": 19, "componentVariable": [{"component": {"name": "NoSuchCtrlr"}}]})
    assert [(i["component"], i["variable"], i["value"]) for i in items] == [("EVSE", "Power", "11000")], items
    assert none.json()["answer"]["status"] == "EmptyResultSet"


async def test_a_full_empty_list_empties_the_stations_list(engine):
    """TC_D_04: the token book has nothing for the station any more: a Full update without entries, and the
    station holds no token."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            own = await client.post("/api/stations/CP-1/commands/SendLocalList", json={
                "versionNumber": 1, "updateType": "Full", "localAuthorizationList": [
                    {"idToken": {"idToken": "AA-01", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}]})
            assert own.json()["answer"]["status"] == "Accepted" and cp.local_list == {"aa-01": "Accepted"}
            full = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})).json()
            held = (await client.get("/api/stations/CP-1/local-list")).json()
    sent = [r[1] for r in cp.received if r[0] == "SendLocalList"][-1]
    assert (sent["update_type"], sent.get("local_authorization_list") or []) == ("Full", [])
    assert (full["update_type"], full["entries"]) == ("Full", 0), full
    assert cp.local_list == {} and held["tokens"] == [] and held["version"] == cp.local_version == 2


async def test_reservations_of_any_evse_by_connector_type_and_for_a_group(engine):
    """TC_H_14: the station's only EVSE held by a reservation for any EVSE: another is answered Occupied, kept so,
    and another token starting there is refused. TC_H_15: by connector type (cType2), a type it lacks Unavailable.
    TC_H_19: a reservation for a group is used by a member of the group (groupIdToken sent)."""
    add_network(engine, ocpp="2.0.1")
    tokens.add(engine, "ACME", tokens.TokenEntry("ZZ-99"))
    tokens.add(engine, "ACME", tokens.TokenEntry("BB-02", group_id="FLEET-1"))
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        cp.evses = 1
        async with api(engine, gateway, key) as client:
            async def reserve(**body):
                answer = await client.post("/api/stations/CP-1/reservations", json={
                    "expires_at": _soon(), "connector_id": 0, **body})
                assert answer.status_code == 201, answer.text
                return answer.json()

            async def start(txid, uid, minute, **more):
                return await cp.call(call.TransactionEvent(
                    event_type="Started", timestamp=iso(at(minute)), trigger_reason="Authorized", seq_no=0,
                    transaction_info={"transactionId": txid, "chargingState": "Charging"},
                    id_token={"idToken": uid, "type": "ISO14443"}, evse={"id": 1, "connectorId": 1}, **more))

            lacking = await reserve(id_tag="AA-01", connector_type="cCCS2")
            typed = await reserve(id_tag="AA-01", connector_type="cType2", parent_id_tag="FLEET-1")
            full = await reserve(id_tag="CC-03")
            sent = [r[1] for r in cp.received if r[0] == "ReserveNow"]
            other = await start("other-1", "ZZ-99", 0)
            member = await start("member-1", "BB-02", 5, reservation_id=typed["reservation_id"])
            items = {r["reservation_id"]: r for r in (await client.get(
                "/api/stations/CP-1/reservations")).json()["items"]}
    assert (lacking["status"], typed["status"], full["status"]) == ("Unavailable", "Accepted", "Occupied")
    assert [s.get("connector_type") for s in sent] == ["cCCS2", "cType2", None]
    assert sent[1]["group_id_token"]["id_token"] == "FLEET-1" and "evse_id" not in sent[1]
    assert other.id_token_info["status"] == "Invalid"  # the only EVSE is held for the group
    assert member.id_token_info["status"] == "Accepted"
    assert items[typed["reservation_id"]]["status"] == "Used"
    assert items[full["reservation_id"]]["status"] == "Occupied"
