"""OCPP 1.6J Core profile beyond transactions, over a real websocket: boot policy, configuration, ClearCache,
DataTransfer by vendor, the operator commands, and connections that offer no subprotocol."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import websockets
from ocpp.exceptions import SecurityError
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from tests.builders import add_network, add_user_key, at
from tests.ocpp.helpers import api, gateway_on, iso
from tests.ocpp.lab16 import lab_charger


def _operator(engine) -> str:
    return add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])


async def test_unknown_stations_wait_pending_until_approved(engine):
    add_network(engine)
    key = _operator(engine)
    async with gateway_on(engine, auto_register_site="ACME-SITE", heartbeat_interval=300,
                          boot_retry_interval=30) as gateway:
        async with api(engine, gateway, key) as client:
            async with lab_charger(gateway, "CP-NEW") as cp:
                boot = await cp.call(call.BootNotification(charge_point_model="Lab", charge_point_vendor="X"))
                assert (boot.status, boot.interval) == ("Pending", 30)
                with pytest.raises(SecurityError):  # nothing but boot while Pending
                    await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                        timestamp=iso(at(0))), suppress=False)
                # while Pending, the operator may still read the station's configuration
                read = await client.post("/api/stations/CP-NEW/commands/GetConfiguration", json={})
                assert read.status_code == 200, read.text
                approved = await client.put("/api/stations/CP-NEW/registration", json={"status": "Accepted"})
                assert approved.status_code == 200, approved.text
                again = await cp.call(call.BootNotification(charge_point_model="Lab", charge_point_vendor="X"))
                assert (again.status, again.interval) == ("Accepted", 300)
                started = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                              timestamp=iso(at(0))))
                assert started.transaction_id > 0
                rejected = await client.put("/api/stations/CP-NEW/registration", json={"status": "Rejected"})
                assert rejected.status_code == 200
                assert (await cp.call(call.BootNotification(charge_point_model="Lab", charge_point_vendor="X"))
                        ).status == "Rejected"
        # a registered station is Accepted with the gateway's interval
        async with lab_charger(gateway, "CP-1") as cp:
            boot = await cp.call(call.BootNotification(charge_point_model="Lab", charge_point_vendor="X"))
            assert (boot.status, boot.interval) == ("Accepted", 300)


async def test_configuration_is_read_changed_and_kept(engine):
    add_network(engine)
    key = _operator(engine)
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        read = await client.post("/api/stations/CP-1/commands/GetConfiguration", json={})
        keys = {k["key"]: k for k in read.json()["answer"]["configuration_key"]}
        assert keys["HeartbeatInterval"]["value"] == "300"
        changed = await client.post("/api/stations/CP-1/commands/ChangeConfiguration",
                                    json={"key": "HeartbeatInterval", "value": "120"})
        assert changed.json()["answer"] == {"status": "Accepted"}
        refused = await client.post("/api/stations/CP-1/commands/ChangeConfiguration",
                                    json={"key": "ChargePointModel", "value": "Fake"})
        assert refused.json()["answer"] == {"status": "Rejected"}
        unknown = await client.post("/api/stations/CP-1/commands/GetConfiguration", json={"key": ["NoSuchKey"]})
        assert unknown.json()["answer"]["unknown_key"] == ["NoSuchKey"]
        stored = (await client.get("/api/stations/CP-1/configuration")).json()["items"]
        bad = await client.post("/api/stations/CP-1/commands/ChangeConfiguration", json={"key": "X"})
        assert bad.status_code == 400  # no value: refused before it reaches the charger
    values = {k["key"]: (k["value"], k["readonly"]) for k in stored}
    assert values == {"HeartbeatInterval": ("120", False), "ChargePointModel": ("Lab", True),
                      "MeterValueSampleInterval": ("60", False)}
    assert cp.config["HeartbeatInterval"] == ("120", False)


async def test_operator_commands_reach_the_charger(engine):
    add_network(engine)
    key = _operator(engine)
    commands = [("ClearCache", {}, {"status": "Accepted"}),
                ("Reset", {"type": "Hard"}, {"status": "Accepted"}),
                ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
                ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Accepted"}),
                ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1},
                 {"status": "Accepted"}),
                ("DataTransfer", {"vendorId": "com.lab", "messageId": "Ping"}, {"status": "Accepted", "data": "pong"})]
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        for name, payload, expected in commands:
            answer = await client.post(f"/api/stations/CP-1/commands/{name}", json=payload)
            assert answer.status_code == 200, (name, answer.text)
            assert answer.json()["answer"] == expected, name
        cp.answers["ClearCache"] = "Rejected"
        assert (await client.post("/api/stations/CP-1/commands/ClearCache", json={})).json()["answer"] == {
            "status": "Rejected"}
        wrong = await client.post("/api/stations/CP-1/commands/Reset", json={"type": "Sideways"})
        assert wrong.status_code == 400 and "Sideways" in wrong.text
    assert [name for name, _ in cp.requests] == [c[0] for c in commands] + ["ClearCache"]
    assert cp.requests[4][1] == {"requested_message": "StatusNotification", "connector_id": 1}


async def test_data_transfer_is_routed_by_vendor(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp:
        unknown = await cp.call(call.DataTransfer(vendor_id="com.nobody", message_id="X", data="1"))
        echo = await cp.call(call.DataTransfer(vendor_id="org.chargeledger", message_id="Echo", data="hello"))
        other = await cp.call(call.DataTransfer(vendor_id="org.chargeledger", message_id="Nope"))
    assert unknown.status == "UnknownVendorId"
    assert (echo.status, echo.data) == ("Accepted", "hello")
    assert other.status == "UnknownMessageId"


async def test_a_connection_without_subprotocol(engine):
    add_network(engine)
    add_network(engine, "BOLT", "CP-2", ocpp="2.0.1", country="DE")
    async with gateway_on(engine) as gateway:
        async with lab_charger(gateway, "CP-1", subprotocols=()) as cp:  # registered as 1.6: spoken to in 1.6
            boot = await cp.call(call.BootNotification(charge_point_model="Old", charge_point_vendor="X"))
            assert boot.status == "Accepted"
        for station, offered, reason in (("CP-2", None, "offer the websocket subprotocol ocpp2.0.1"),
                                         ("CP-1", ["ocpp1.5"], "none of the offered subprotocols (ocpp1.5)")):
            with pytest.raises(InvalidStatus) as refused:
                await websockets.connect(f"ws://127.0.0.1:{gateway.port}/ocpp/{station}", subprotocols=offered)
            assert refused.value.response.status_code == 400
            assert reason in refused.value.response.body.decode()


async def test_commands_are_logged_with_the_session_they_act_on_and_remote_starts_keep_their_source(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations", "support"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        first = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0, timestamp=iso(at(0))))
        await cp.call(call.StopTransaction(meter_stop=100, timestamp=iso(at(10)), transaction_id=first.transaction_id))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                              timestamp=iso(at(20))))
        started = await client.post("/api/stations/CP-1/commands/RemoteStartTransaction",
                                    json={"connectorId": 1, "idTag": "T"})
        assert started.json()["answer"] == {"status": "Accepted"}
        # (the remote start is matched by the charger's clock, close to ours)
        second = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=100,
                                                     timestamp=iso(datetime.now(timezone.utc))))
        unlock = await client.post("/api/stations/CP-1/commands/UnlockConnector", json={"connectorId": 1})
        stop = await client.post("/api/stations/CP-1/commands/RemoteStopTransaction",
                                 json={"transactionId": second.transaction_id})
        assert unlock.status_code == stop.status_code == 200
        await gateway.log.flush()
        log = (await client.get(f"/api/sessions/{second.transaction_id}/ocpp-log")).json()["items"]
        earlier = (await client.get(f"/api/sessions/{first.transaction_id}/ocpp-log")).json()["items"]
        detail = (await client.get(f"/api/sessions/{second.transaction_id}")).json()
    ours = [(f["direction"], f["action"]) for f in log if f["action"] in (
        "RemoteStartTransaction", "UnlockConnector", "RemoteStopTransaction")]
    assert ours == [("out", "RemoteStartTransaction"), ("in", "RemoteStartTransaction"),
                    ("out", "UnlockConnector"), ("in", "UnlockConnector"),
                    ("out", "RemoteStopTransaction"), ("in", "RemoteStopTransaction")]
    assert not [f for f in earlier if f["action"] in ("UnlockConnector", "RemoteStopTransaction")]
    assert (detail["start_source"], detail["start_source_raw"]) == ("API", "api")


async def test_each_connectors_status_and_error_code_are_shown(engine):
    add_network(engine)
    key = _operator(engine)
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                              timestamp=iso(at(0))))
        await cp.call(call.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted",
                                              timestamp=iso(at(1)), info="RCD tripped", vendor_error_code="E42"))
        station = (await client.get("/api/stations/CP-1")).json()
    assert {k: (v["status"], v["error_code"]) for k, v in station["connector_status"].items()} == {
        "0": ("Available", "NoError"), "1": ("Faulted", "GroundFailure")}
    assert (station["connector_status"]["1"]["info"], station["connector_status"]["1"]["vendor_error_code"]) == (
        "RCD tripped", "E42")


async def test_a_new_authorization_key_the_station_took_is_the_only_one_then(engine, caplog):
    """Security profile 1/2 on 1.6: ChangeConfiguration AuthorizationKey. Refused by the station: the old password
    still works; taken: only the new one does. The key is kept only as the station password's hash, and hidden in
    the configuration view, the command's answer, the message log, the audit trail and the logs."""
    from sqlalchemy import select

    from chargeledger.access.accounts import verify_password
    from chargeledger.storage.tables import audit_entries, ocpp_messages, stations

    old, new = "old-password-0123456789", "NEW-password-0123456789"
    add_network(engine, password=old)
    key = _operator(engine)

    async def set_key(client, value):
        return await client.post("/api/stations/CP-1/commands/ChangeConfiguration",
                                 json={"key": "AuthorizationKey", "value": value})

    async with gateway_on(engine) as gateway:
        async with lab_charger(gateway, "CP-1", password=old) as cp, api(engine, gateway, key) as client:
            cp.config["AuthorizationKey"] = ("", False)
            assert (await set_key(client, "short")).status_code == 400  # we would refuse it ourselves
            assert [a for a, _ in cp.requests] == []
            cp.answers["ChangeConfiguration"] = "Rejected"
            assert (await set_key(client, new)).json()["answer"] == {"status": "Rejected"}
        async with lab_charger(gateway, "CP-1", password=old) as cp, api(engine, gateway, key) as client:
            assert (await cp.call(call.Heartbeat())).current_time  # the old one still works
            cp.config["AuthorizationKey"] = ("", False)
            assert (await set_key(client, new)).json()["answer"] == {"status": "Accepted"}
            assert cp.config["AuthorizationKey"] == (new, False)  # the station got it in the clear
            # a station that (against the spec) reads its key back: hidden in the answer and the view
            read = (await client.post("/api/stations/CP-1/commands/GetConfiguration",
                                      json={"key": ["AuthorizationKey"]})).json()["answer"]
            assert read["configuration_key"] == [{"key": "AuthorizationKey", "readonly": False, "value": "(secret)"}]
            view = (await client.get("/api/stations/CP-1/configuration")).json()["items"]
            assert [(k["key"], k["value"]) for k in view] == [("AuthorizationKey", "(secret)")]
        async with lab_charger(gateway, "CP-1", password=new) as cp:
            assert (await cp.call(call.Heartbeat())).current_time
        with pytest.raises(InvalidStatus) as refused:
            async with lab_charger(gateway, "CP-1", password=old):
                pass
        assert refused.value.response.status_code == 401
        await gateway.log.flush()
    with engine.connect() as conn:
        stored = conn.execute(select(stations.c.password_hash).where(stations.c.id == "CP-1")).scalar()
        frames = " ".join(conn.execute(select(ocpp_messages.c.payload)).scalars())
        trail = " ".join(str(d) for d in conn.execute(select(audit_entries.c.details)).scalars())
    assert stored.startswith("$argon2id$") and verify_password(stored, new)  # the one way station passwords are kept
    assert "AuthorizationKey" in frames and "(secret)" in frames
    for kept in (frames, trail, caplog.text, str(view)):
        assert new not in kept


async def test_refusals_are_answered_and_change_nothing(engine):
    """The charger refuses: RemoteStartTransaction Rejected (the start that follows is the driver's own, not the
    API's), UnlockConnector UnlockFailed, TriggerMessage Rejected, SendLocalList NotSupported (no list held),
    GetLocalListVersion -1 (no list support) kept as reported, and a diagnostics upload that failed."""
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations", "support"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        cp.answers.update({"RemoteStartTransaction": "Rejected", "UnlockConnector": "UnlockFailed",
                           "TriggerMessage": "Rejected", "SendLocalList": "NotSupported"})
        answers = {}
        for name, payload in (("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"}),
                              ("UnlockConnector", {"connectorId": 1}),
                              ("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1})):
            sent = await client.post(f"/api/stations/CP-1/commands/{name}", json=payload)
            answers[name] = (sent.status_code, sent.json()["answer"]["status"])
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                      timestamp=iso(datetime.now(timezone.utc))))
        listed = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})).json()
        cp.local_version = -1
        await client.post("/api/stations/CP-1/commands/GetLocalListVersion", json={})
        held = (await client.get("/api/stations/CP-1/local-list")).json()
        await cp.call(call.DiagnosticsStatusNotification(status="UploadFailed"))
        diagnostics = (await client.get("/api/stations/CP-1/firmware")).json()["diagnostics"]
        detail = (await client.get(f"/api/sessions/{started.transaction_id}")).json()
    assert answers == {"RemoteStartTransaction": (200, "Rejected"), "UnlockConnector": (200, "UnlockFailed"),
                       "TriggerMessage": (200, "Rejected")}
    assert detail["start_source_raw"] == "Authorize"  # the refused remote start is not its source
    assert listed["answer"]["status"] == "NotSupported" and cp.local_list == {}
    assert (held["version"], held["reported_version"], held["tokens"]) == (0, -1, [])
    assert diagnostics["status"] == "UploadFailed"
