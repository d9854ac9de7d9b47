"""2.0.1 provisioning through a real websocket: Boot answered by the operator's registration policy (Pending until
approved, Rejected), SecurityError before acceptance, GetBaseReport/NotifyReport kept as the device model, and
Get/SetVariables answers keeping it current (OCA TC_B_01, 02, 03, 30, 31, 06, 07, 08, 09, 10, 32)."""

from __future__ import annotations


import pytest
from ocpp.exceptions import OCPPError
from ocpp.v201 import call

from chargeledger.ocpp.stations import find_station, set_registration
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, iso, support_key
from tests.ocpp.station201 import Station201

RETRY = 7  # the boot retry interval a Pending/Rejected station is told


async def _security_error(cp, message) -> str:
    with pytest.raises(OCPPError) as refused:
        await cp.call(message, suppress=False)
    return type(refused.value).__name__ + ":" + refused.value.code


def _status(minute: float = 0) -> call.StatusNotification:
    return call.StatusNotification(timestamp=iso(at(minute)), connector_status="Available", evse_id=1,
                                   connector_id=1)


async def test_unknown_station_waits_pending_reports_its_model_and_is_accepted_on_approval(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine, auto_register_site="ACME-SITE", boot_retry_interval=RETRY) as gateway, \
            charger(gateway, "CP-NEW", "2.0.1", cls=Station201) as cp:
        boot = await cp.boot()
        assert (boot.status, boot.interval) == ("Pending", RETRY)  # TC_B_02
        assert "SecurityError" in await _security_error(cp, _status())  # TC_B_30
        assert "SecurityError" in await _security_error(cp, call.Heartbeat())
        async with api(engine, gateway, key) as client:
            asked = await client.post("/api/stations/CP-NEW/commands/GetBaseReport",
                                      json={"requestId": 11, "reportBase": "FullInventory"})
            assert asked.status_code == 200 and asked.json()["answer"]["status"] == "Accepted", asked.text
            await eventually(lambda: len([r for r in cp._later if r.done()]) == 1)  # its NotifyReports, allowed
            model = (await client.get("/api/stations/CP-NEW/variables")).json()["items"]
            assert {(v["component"], v["evse"], v["variable"], v["value"], v["mutability"]) for v in model} == {
                ("OCPPCommCtrlr", 0, "HeartbeatInterval", "300", "ReadWrite"),
                ("AuthCtrlr", 0, "LocalPreAuthorize", "true", "ReadWrite"),
                ("SecurityCtrlr", 0, "SecurityProfile", "1", "ReadOnly"),
                ("EVSE", 1, "Power", "22000", "ReadOnly")}
            power = next(v for v in model if v["variable"] == "Power")
            assert power["characteristics"]["unit"] == "W" and power["source"] == "NotifyReport"
            assert (await client.get("/api/stations/CP-NEW")).json()["registration"] == "Pending"
            # the operator approves: the connected station is asked to boot again at once (TC_B_31)
            approved = await client.put("/api/stations/CP-NEW/registration", json={"status": "Accepted"})
            assert approved.json()["boot_triggered"] == "Accepted", approved.text
            await eventually(lambda: len(cp.boots) == 2)
            assert (cp.boots[1].status, cp.boots[1].interval) == ("Accepted", gateway.settings.heartbeat_interval)
            await cp.call(_status())  # now it may
            await cp.call(call.Heartbeat())
            bad = await client.put("/api/stations/CP-NEW/registration", json={"status": "Maybe"})
            assert bad.status_code == 422
    assert find_station(engine, "CP-NEW").registration == "Accepted"


async def test_a_rejected_station_may_only_boot(engine):
    add_network(engine, ocpp="2.0.1")
    set_registration(engine, "CP-1", "Rejected")
    async with gateway_on(engine, boot_retry_interval=RETRY) as gateway, \
            charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        boot = await cp.boot()
        assert (boot.status, boot.interval) == ("Rejected", RETRY)  # TC_B_03
        assert "SecurityError" in await _security_error(cp, _status())  # TC_B_30 (Rejected)
        assert "SecurityError" in await _security_error(cp, call.NotifyReport(
            request_id=1, generated_at=iso(at(0)), seq_no=0))  # only a Pending station may report
        set_registration(engine, "CP-1", "Accepted")
        assert (await cp.boot()).status == "Accepted"  # TC_B_01: read at each boot
        await cp.call(_status())


async def test_get_and_set_variables_keep_the_device_model_current(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        assert (await cp.boot()).status == "Accepted"
        async with api(engine, gateway, key) as client:
            got = await client.post("/api/stations/CP-1/commands/GetVariables", json={"getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "Nope"}, "variable": {"name": "Nothing"}}]})  # TC_B_06, TC_B_32
            assert [r["attribute_status"] for r in got.json()["answer"]["get_variable_result"]] == \
                ["Accepted", "UnknownVariable"]
            heartbeat = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
            security = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}}
            set_ = await client.post("/api/stations/CP-1/commands/SetVariables", json={"setVariableData": [
                {**heartbeat, "attributeValue": "120"}, {**security, "attributeValue": "3"}]})  # TC_B_07, 08
            assert [r["attribute_status"] for r in set_.json()["answer"]["set_variable_result"]] == \
                ["Accepted", "Rejected"]
            model = {v["variable"]: v for v in (await client.get("/api/stations/CP-1/variables")).json()["items"]}
            assert set(model) == {"HeartbeatInterval"}  # only what the station gave or took; nothing made up
            assert (model["HeartbeatInterval"]["value"], model["HeartbeatInterval"]["source"]) == \
                ("120", "SetVariables")
            await client.post("/api/stations/CP-1/commands/GetBaseReport",
                              json={"requestId": 2, "reportBase": "ConfigurationInventory"})  # TC_B_09, 10
            await eventually(lambda: all(t.done() for t in cp._later) and cp._later)
            after = {v["variable"]: v for v in (await client.get(
                "/api/stations/CP-1/variables", params={"component": "OCPPCommCtrlr"})).json()["items"]}
            assert (after["HeartbeatInterval"]["value"], after["HeartbeatInterval"]["mutability"]) == \
                ("120", "ReadWrite")
            assert set(after) == {"HeartbeatInterval"}  # the filter by component


async def test_a_pending_1_6_charger_is_refused_until_approved(engine):
    from ocpp.v16 import call as call16
    add_network(engine)
    set_registration(engine, "CP-1", "Pending")
    async with gateway_on(engine, boot_retry_interval=RETRY) as gateway, charger(gateway, "CP-1") as cp:
        boot = await cp.call(call16.BootNotification(charge_point_vendor="Alfen", charge_point_model="Eve"))
        assert (boot.status, boot.interval) == ("Pending", RETRY)
        assert "SecurityError" in await _security_error(cp, call16.Heartbeat())


def test_the_operator_approves_from_the_command_line(sqlite_engine, monkeypatch):
    from typer.testing import CliRunner

    from chargeledger.cli.main import app
    add_network(sqlite_engine, ocpp="2.0.1")
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", str(sqlite_engine.url))
    runner = CliRunner()
    held = runner.invoke(app, ["station", "registration", "CP-1", "Pending"])
    assert held.exit_code == 0, held.output
    assert find_station(sqlite_engine, "CP-1").registration == "Pending"
    assert runner.invoke(app, ["station", "registration", "CP-1", "Maybe"]).exit_code == 2
    assert runner.invoke(app, ["station", "registration", "CP-404", "Accepted"]).exit_code == 2


async def test_a_new_basic_auth_password_the_station_took_is_the_only_one_then(engine):
    """TC_A_09 / TC_A_10: SetVariables SecurityCtrlr.BasicAuthPassword, accepted or rejected by the station."""
    from chargeledger.storage.tables import audit_entries
    from sqlalchemy import select
    old, new = "old-password-0123456789", "new-password-0123456789"
    add_network(engine, ocpp="2.0.1", password=old)
    key = support_key(engine)
    secret = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}

    async def set_password(client, value):
        return await client.post("/api/stations/CP-1/commands/SetVariables",
                                 json={"setVariableData": [{**secret, "attributeValue": value}]})

    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1", "2.0.1", password=old, cls=Station201) as cp, \
                api(engine, gateway, key) as client:
            cp.device[("SecurityCtrlr", None, "BasicAuthPassword")] = ("", "WriteOnly")
            assert (await set_password(client, "short")).status_code == 400  # we would refuse it ourselves
            cp.status["SetVariables"] = "Rejected"
            cp.device[("SecurityCtrlr", None, "BasicAuthPassword")] = ("", "ReadOnly")  # the station refuses
            refused = await set_password(client, new)
            assert refused.json()["answer"]["set_variable_result"][0]["attribute_status"] == "Rejected"
        async with charger(gateway, "CP-1", "2.0.1", password=old) as cp:  # TC_A_10: the old one still works
            await cp.call(call.Heartbeat())
        async with charger(gateway, "CP-1", "2.0.1", password=old, cls=Station201) as cp, \
                api(engine, gateway, key) as client:
            cp.device[("SecurityCtrlr", None, "BasicAuthPassword")] = ("", "WriteOnly")
            taken = await set_password(client, new)
            assert taken.json()["answer"]["set_variable_result"][0]["attribute_status"] == "Accepted"
            model = (await client.get("/api/stations/CP-1/variables")).json()["items"]
        async with charger(gateway, "CP-1", "2.0.1", password=new) as cp:  # TC_A_09
            await cp.call(call.Heartbeat())
        from websockets.exceptions import InvalidStatus
        with pytest.raises(InvalidStatus):
            async with charger(gateway, "CP-1", "2.0.1", password=old):
                pass
        await gateway.log.flush()
    assert [v["value"] for v in model if v["variable"] == "BasicAuthPassword"] == ["(secret)"]
    from chargeledger.storage.tables import ocpp_messages
    with engine.connect() as conn:
        frames = " ".join(conn.execute(select(ocpp_messages.c.payload)).scalars())
    assert "BasicAuthPassword" in frames and new not in frames  # the message log hides it too
    with engine.connect() as conn:
        trail = " ".join(str(d) for d in conn.execute(select(audit_entries.c.details)).scalars())
    assert new not in trail and "(secret)" in trail


async def test_get_variables_are_sent_within_the_stations_items_per_message(engine):
    """TC_B_08: the station reported DeviceDataCtrlr.ItemsPerMessage[GetVariables] = 2: three asked go as 2 + 1."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        cp.device[("DeviceDataCtrlr", None, "ItemsPerMessage")] = ("2", "ReadOnly")
        async with api(engine, gateway, key) as client:
            await client.post("/api/stations/CP-1/commands/GetBaseReport",
                              json={"requestId": 1, "reportBase": "FullInventory"})
            await eventually(lambda: cp._later and all(t.done() for t in cp._later))
            from chargeledger.storage.tables import station_variables
            from sqlalchemy import update
            with engine.begin() as conn:  # the test station reports no instance: it is the GetVariables one
                conn.execute(update(station_variables).where(station_variables.c.variable == "ItemsPerMessage")
                             .values(variable_instance="GetVariables"))
            asked = [{"component": {"name": c}, "variable": {"name": v}} for c, v in (
                ("OCPPCommCtrlr", "HeartbeatInterval"), ("AuthCtrlr", "LocalPreAuthorize"),
                ("SecurityCtrlr", "SecurityProfile"))]
            got = await client.post("/api/stations/CP-1/commands/GetVariables", json={"getVariableData": asked})
        await gateway.log.flush()
    from chargeledger.ocpp.message_log import station_log
    results = got.json()["answer"]["get_variable_result"]
    assert [r["attribute_value"] for r in results] == ["300", "true", "1"]
    messages = [r for r in cp.received if r[0] == "GetVariables"]
    assert len(messages) == 3  # items, in two messages: the station saw all three
    log = [f for f in station_log(engine, "CP-1", None, None, 100)
           if f["action"] == "GetVariables" and f["direction"] == "out"]
    assert len(log) == 2
