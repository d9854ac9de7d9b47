"""2.0.1 authorization and transactions through a real websocket: the local list built from the token book
(full, differential, version mismatch, reported version), ClearCache, a remote start attributed to who asked, and
seqNo ordering events without being their identity (OCA TC_C_xx local list and cache, TC_F_01..04, TC_E_xx)."""

from __future__ import annotations

from datetime import datetime, timezone

from ocpp.v201 import call

from chargeledger.directory import tokens
from chargeledger.ledger import Ledger
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, iso, support_key
from tests.ocpp.station201 import Station201


def _book(engine):
    tokens.add(engine, "ACME", tokens.TokenEntry("AA-01"))
    tokens.add(engine, "ACME", tokens.TokenEntry("bb-02", group_id="FLEET-1"))
    tokens.add(engine, "ACME", tokens.TokenEntry("CC-03", status="Blocked"))
    tokens.add(engine, "ACME", tokens.TokenEntry("OLD-04", expires_at=datetime(2020, 1, 1, tzinfo=timezone.utc)))


async def test_a_long_list_goes_within_the_stations_items_per_message_and_entries(engine):
    """LocalAuthListCtrlr.ItemsPerMessage = 3 (asked, since the station never said) and Entries maxLimit 5 (from its
    report): 4 tokens go as Full v1 (3) + Differential v2 (1); a book of 6 is refused and nothing is sent."""
    add_network(engine, ocpp="2.0.1")
    _book(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp, \
            api(engine, gateway, key) as client:
        cp.device[("LocalAuthListCtrlr", None, "ItemsPerMessage")] = ("3", "ReadOnly")
        sent = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})).json()
        assert (sent["version"], sent["entries"], sent["messages"]) == (2, 4, 2), sent
        lists = [(kw["update_type"], kw["version_number"], len(kw["local_authorization_list"]))
                 for action, kw in cp.received if action == "SendLocalList"]
        assert lists == [("Full", 1, 3), ("Differential", 2, 1)]
        assert cp.local_version == 2 and len(cp.local_list) == 4
        await cp.call(call.NotifyReport(request_id=1, generated_at="2024-03-01T10:00:00Z", seq_no=0, report_data=[
            {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "Entries"},
             "variable_attribute": [{"type": "Actual", "value": "4", "mutability": "ReadOnly"}],
             "variable_characteristics": {"data_type": "integer", "max_limit": 5, "supports_monitoring": False}}]))
        tokens.add(engine, "ACME", tokens.TokenEntry("EE-05"))
        tokens.add(engine, "ACME", tokens.TokenEntry("FF-06"))
        refused = await client.post("/api/stations/CP-1/local-list", json={})
        assert refused.status_code == 409 and "6 tokens" in refused.json()["detail"]
        assert len([a for a, _ in cp.received if a == "SendLocalList"]) == 2
        assert (await client.get("/api/stations/CP-1/local-list")).json()["too_large"]["capacity"] == 5


async def test_local_list_from_the_token_book(engine):
    add_network(engine, ocpp="2.0.1")
    add_network(engine, "BOLT", "CP-9", country="DE")
    tokens.add(engine, "BOLT", tokens.TokenEntry("NOT-OURS"))
    _book(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            # the station has no list: a differential update is refused, the full list follows (TC_C_21..)
            first = (await client.post("/api/stations/CP-1/local-list", json={})).json()
            assert (first["update_type"], first["version"], first["entries"]) == ("Full", 1, 4), first
            assert [r[1]["update_type"] for r in cp.received if r[0] == "SendLocalList"] == ["Differential", "Full"]
            assert cp.local_list == {"aa-01": "Accepted", "bb-02": "Accepted", "cc-03": "Blocked",
                                     "old-04": "Expired"}
            full = [r[1] for r in cp.received if r[0] == "SendLocalList"][-1]["local_authorization_list"]
            grouped = next(i for i in full if i["id_token"]["id_token"] == "bb-02")
            assert grouped["id_token_info"]["group_id_token"]["id_token"] == "FLEET-1"
            # the book changes: only the difference goes out
            tokens.block(engine, "ACME", "AA-01")
            tokens.add(engine, "ACME", tokens.TokenEntry("DD-05"))
            second = (await client.post("/api/stations/CP-1/local-list",
                                        json={"update_type": "Differential"})).json()
            assert (second["update_type"], second["version"], second["entries"]) == ("Differential", 2, 2)
            assert cp.local_list["aa-01"] == "Blocked" and cp.local_list["dd-05"] == "Accepted"
            held = (await client.get("/api/stations/CP-1/local-list")).json()
            assert held["version"] == 2 and [t["uid"] for t in held["tokens"]] == \
                ["AA-01", "bb-02", "CC-03", "DD-05", "OLD-04"]
            # the version the station reports (TC_D_01-like) is kept beside ours
            reported = await client.post("/api/stations/CP-1/commands/GetLocalListVersion", json={})
            assert reported.json()["answer"]["version_number"] == 2
            assert (await client.get("/api/stations/CP-1/local-list")).json()["reported_version"] == 2
            # an operator's own payload through the generic route is what the station then holds
            own = await client.post("/api/stations/CP-1/commands/SendLocalList", json={
                "versionNumber": 3, "updateType": "Differential",
                "localAuthorizationList": [{"idToken": {"idToken": "DD-05", "type": "ISO14443"}}]})
            assert own.json()["answer"]["status"] == "Accepted"
            held = (await client.get("/api/stations/CP-1/local-list")).json()
            assert held["version"] == 3 and "DD-05" not in [t["uid"] for t in held["tokens"]]
            assert "dd-05" not in cp.local_list
            cleared = await client.post("/api/stations/CP-1/commands/ClearCache", json={})  # TC_C_37/38
            assert cleared.json()["answer"]["status"] == "Accepted"
            cp.status["ClearCache"] = "Rejected"
            cleared = await client.post("/api/stations/CP-1/commands/ClearCache", json={})
            assert cleared.json()["answer"]["status"] == "Rejected"


async def test_a_remote_start_is_attributed_to_who_asked(engine):
    add_network(engine, ocpp="2.0.1")
    _book(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            started = await client.post("/api/stations/CP-1/commands/RequestStartTransaction", json={
                "idToken": {"idToken": "AA-01", "type": "ISO14443"}, "remoteStartId": 77, "evseId": 1})
            assert started.json()["answer"]["status"] == "Accepted"
            await eventually(lambda: cp._later and all(t.done() for t in cp._later))
            session_id = gateway.recorder.session_by_transaction("CP-1", "remote-77")
            detail = (await client.get(f"/api/sessions/{session_id}")).json()
    assert (detail["start_source"], detail["start_source_raw"]) == ("API", "api")
    assert detail["identity"]["id_token"] == "AA-01"
    started_event = next(e for e in Ledger(engine).events(session_id) if e.kind.value == "transaction_started")
    assert started_event.get("remote_start_by") == "support@acme.example"


def _event(seq: int, minute: float, trigger: str, state: str | None = None, event_type: str = "Updated",
           offline: bool = False) -> call.TransactionEvent:
    info = {"transactionId": "seq-1", **({"chargingState": state} if state else {})}
    return call.TransactionEvent(event_type=event_type, timestamp=iso(at(minute)), trigger_reason=trigger,
                                 seq_no=seq, transaction_info=info, evse={"id": 1, "connectorId": 1},
                                 offline=offline or None)


async def test_seq_no_orders_events_but_is_not_their_identity(engine):
    add_network(engine, ocpp="2.0.1")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        await cp.call(_event(0, 0, "CablePluggedIn", "EVConnected", "Started"))
        # an offline queue delivers two same-instant events in reverse order: seqNo puts them right
        await cp.call(_event(2, 10, "ChargingStateChanged", "SuspendedEV", offline=True))
        await cp.call(_event(1, 10, "ChargingStateChanged", "Charging", offline=True))
        # the same event resent with another seqNo (and the offline flag) is the same event
        await cp.call(_event(5, 10, "ChargingStateChanged", "Charging"))
        # after a reboot the station counts from 0 again: a different event with a used seqNo is still new
        await cp.call(_event(1, 20, "ChargingStateChanged", "Charging"))
        await cp.call(_event(2, 30, "StopAuthorized", "EVConnected", "Ended"))
        session_id = gateway.recorder.session_by_transaction("CP-1", "seq-1")
    states = [(e.occurred_at, e.get("state")) for e in Ledger(engine).events(session_id)
              if e.kind.value == "charging_state_changed"]
    assert len(states) == 5  # EVConnected at 0 and 30, Charging and SuspendedEV at 10, Charging at 20
    view = Ledger(engine).project(session_id)
    # at minute 10 Charging (seqNo 1) came before SuspendedEV (seqNo 2), whatever the order they arrived in:
    # suspended 10-20, charging 20-30
    assert view.intervals.charging_duration.total_seconds() == 10 * 60


async def test_authorize_answers_each_status_and_the_group(engine):
    """TC_C_02 (Invalid), TC_C_06 (Blocked), TC_C_07 (Expired), TC_C_39 (groupIdToken), CiString matching."""
    add_network(engine, ocpp="2.0.1")
    _book(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        async def status(uid):
            return (await cp.call(call.Authorize(id_token={"idToken": uid, "type": "ISO14443"}))).id_token_info
        assert (await status("NOBODY"))["status"] == "Invalid"
        assert (await status("CC-03"))["status"] == "Blocked"
        assert (await status("OLD-04"))["status"] == "Expired"
        grouped = await status("BB-02")  # the book spells it bb-02
        assert grouped["status"] == "Accepted" and grouped["group_id_token"]["id_token"] == "FLEET-1"


async def test_a_master_pass_stops_other_drivers_transactions(engine):
    """TC_C_47–49: the operator sets AuthCtrlr.MasterPassGroupId on the station; a token of that group is told its
    group, the station stops the running transaction with it, and the session says MasterPass."""
    from tests.ocpp.station201 import Station201
    add_network(engine, ocpp="2.0.1")
    _book(engine)
    tokens.add(engine, "ACME", tokens.TokenEntry("SERVICE-1", group_id="MASTERPASS"))
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        cp.device[("AuthCtrlr", None, "MasterPassGroupId")] = ("", "ReadWrite")
        async with api(engine, gateway, key) as client:
            set_ = await client.post("/api/stations/CP-1/commands/SetVariables", json={"setVariableData": [{
                "component": {"name": "AuthCtrlr"}, "variable": {"name": "MasterPassGroupId"},
                "attributeValue": "MASTERPASS"}]})
            assert set_.json()["answer"]["set_variable_result"][0]["attribute_status"] == "Accepted"
            started = _event(0, 0, "Authorized", "Charging", "Started")
            await cp.call(call.TransactionEvent(**{**vars(started), "id_token": {"idToken": "AA-01",
                                                                                 "type": "ISO14443"}}))
            master = (await cp.call(call.Authorize(id_token={"idToken": "service-1", "type": "ISO14443"})))
            assert master.id_token_info["group_id_token"]["id_token"] == "MASTERPASS"
            await cp.call(call.TransactionEvent(
                event_type="Ended", timestamp=iso(at(9)), trigger_reason="StopAuthorized", seq_no=1,
                transaction_info={"transactionId": "seq-1", "stoppedReason": "MasterPass"},
                id_token={"idToken": "SERVICE-1", "type": "ISO14443"}, evse={"id": 1, "connectorId": 1}))
            session_id = gateway.recorder.session_by_transaction("CP-1", "seq-1")
            detail = (await client.get(f"/api/sessions/{session_id}")).json()
            model = {v["variable"]: v["value"] for v in (await client.get("/api/stations/CP-1/variables")).json()[
                "items"]}
    assert detail["stop_reason"] == "MasterPass" and detail["stopped_at"]
    assert detail["identity"]["id_token"] == "AA-01"  # the driver's session still, not the service card's
    assert model["MasterPassGroupId"] == "MASTERPASS"
