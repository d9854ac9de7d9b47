"""The demo's simulated chargers answer every command the gateway sends as real ones do, over real websockets, and
the ledger follows: a remote start opens a session, a stop ends it within seconds, a reset reboots the charger."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from chargeledger.ledger import Ledger
from chargeledger.ocpp import commands
from chargeledger.ocpp.simulated.drive import SimulatedStation
from chargeledger.storage.tables import sessions
from tests.builders import add_network
from tests.ocpp.helpers import gateway_on

START = {"1.6": ("RemoteStartTransaction", {"idTag": "REMOTE1", "connectorId": 1}),
         "2.0.1": ("RequestStartTransaction", {"idToken": {"idToken": "REMOTE1", "type": "Central"},
                                               "remoteStartId": 7, "evseId": 1})}
AVAILABILITY = {"1.6": lambda on: ("ChangeAvailability",
                                   {"connectorId": 1, "type": "Operative" if on else "Inoperative"}),
                "2.0.1": lambda on: ("ChangeAvailability", {"operationalStatus": "Operative" if on else "Inoperative",
                                                            "evse": {"id": 1}})}


async def _until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(check)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def _latest(engine, station_id: str):
    with engine.connect() as conn:
        return conn.execute(select(sessions.c.id, sessions.c.status).where(sessions.c.station_id == station_id)
                            .order_by(sessions.c.id.desc()).limit(1)).first()


async def _run_station(gateway, station_id: str, version: str):
    # real time (charger clocks ahead of the server's would reorder its facts against the operator's)
    station = SimulatedStation(f"ws://127.0.0.1:{gateway.port}", station_id, version, 1.0, random.Random(5))
    station.unplug_after = station.dark_for = timedelta(seconds=1)
    task = asyncio.create_task(station.run(0, forever=True, first_after=timedelta(days=1)))  # idle until asked
    # generous: a CI run on a machine at load 11 once took more than 10 s to get the simulator booted
    await _until(lambda: station_id in gateway.connected, timeout=30.0)
    return station, task


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_remote_start_stop_availability_and_configuration(engine, version):
    add_network(engine, station_id="SIM-1", ocpp=version)
    async with gateway_on(engine, command_timeout=5.0) as gateway:
        station, task = await _run_station(gateway, "SIM-1", version)
        try:
            send = gateway.command
            # configuration: read, change a writable key, refuse a read-only one and an unknown one
            if version == "1.6":
                got = await send("SIM-1", "GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]})
                assert got["configuration_key"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
                assert got["unknown_key"] == ["NoSuchKey"]
                assert (await send("SIM-1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}))[
                    "status"] == "Accepted"
                assert (await send("SIM-1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "often"}))[
                    "status"] == "Rejected"
                assert (await send("SIM-1", "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "2"}))[
                    "status"] == "Rejected"
                assert (await send("SIM-1", "ChangeConfiguration", {"key": "Nope", "value": "1"}))[
                    "status"] == "NotSupported"
                got = await send("SIM-1", "GetConfiguration", {"key": ["HeartbeatInterval"]})
                assert got["configuration_key"][0]["value"] == "60"
            else:
                heartbeat = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
                changed = await send("SIM-1", "SetVariables", {"setVariableData": [
                    {**heartbeat, "attributeValue": "60"},
                    {"component": {"name": "ChargingStation"}, "variable": {"name": "Model"}, "attributeValue": "X"},
                    {"component": {"name": "Nope"}, "variable": {"name": "X"}, "attributeValue": "1"}]})
                assert [r["attribute_status"] for r in changed["set_variable_result"]] == [
                    "Accepted", "Rejected", "UnknownComponent"]
                got = await send("SIM-1", "GetVariables", {"getVariableData": [heartbeat]})
                assert got["get_variable_result"][0]["attribute_value"] == "60"
            assert (await send("SIM-1", "TriggerMessage", {"requestedMessage": "StatusNotification"}))[
                "status"] == "Accepted"
            assert (await send("SIM-1", "TriggerMessage", {"requestedMessage": "Heartbeat"}))["status"] == "Accepted"

            # an unavailable connector refuses a remote start; available again, it starts one at once
            name, payload = AVAILABILITY[version](False)
            assert (await send("SIM-1", name, payload))["status"] == "Accepted"
            assert (await send("SIM-1", *START[version]))["status"] == "Rejected"
            name, payload = AVAILABILITY[version](True)
            assert (await send("SIM-1", name, payload))["status"] == "Accepted"
            assert (await send("SIM-1", *START[version]))["status"] == "Accepted"
            row = await _until(lambda: (r := _latest(engine, "SIM-1")) and r.status == "Charging" and r)
            view = Ledger(engine).project(row.id)
            assert view.identity.id_token == "REMOTE1"
            assert view.start_source.value == "API", view.start_source_raw  # asked for by an API client
            assert (await send("SIM-1", *START[version]))["status"] == "Rejected"  # busy

            # during a transaction: going inoperative waits for its end; unlocking an authorised one is refused
            name, payload = AVAILABILITY[version](False)
            assert (await send("SIM-1", name, payload))["status"] == "Scheduled"
            name, payload = AVAILABILITY[version](True)
            assert (await send("SIM-1", name, payload))["status"] == "Accepted"
            if version == "2.0.1":
                assert (await send("SIM-1", "UnlockConnector", {"evseId": 1, "connectorId": 1}))[
                    "status"] == "OngoingAuthorizedTransaction"

            await asyncio.sleep(2)  # a few Wh flow (at 5 kW or more) before the stop
            # Stop charge as the page sends it: Stopping, then the charger's own stop within seconds
            detail = {"id": row.id, "station_id": "SIM-1", "transaction_id": view.transaction_id}
            assert await gateway.stop_session(detail, "support@acme.example") == "Stopping"
            began = time.monotonic()
            await _until(lambda: Ledger(engine).project(row.id).stopped_at is not None)
            assert time.monotonic() - began < 10
            ended = Ledger(engine).project(row.id)
            assert ended.stop_reason == "Remote"
            assert ended.energy_wh > 0
            # the driver unplugs: the session is released and settled
            await _until(lambda: Ledger(engine).project(row.id).status.value == "Completed")
        finally:
            task.cancel()
            await station.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_reset_ends_the_transaction_and_the_charger_boots_on_a_new_connection(engine, version):
    add_network(engine, station_id="SIM-2", ocpp=version)
    async with gateway_on(engine, command_timeout=5.0) as gateway:
        station, task = await _run_station(gateway, "SIM-2", version)
        try:
            first = gateway.connected["SIM-2"]
            assert (await gateway.command("SIM-2", *START[version]))["status"] == "Accepted"
            row = await _until(lambda: (r := _latest(engine, "SIM-2")) and r.status == "Charging" and r)
            name = "Reset"
            payload = {"type": "Soft"} if version == "1.6" else {"type": "Immediate"}
            assert (await gateway.command("SIM-2", name, payload))["status"] == "Accepted"
            await _until(lambda: Ledger(engine).project(row.id).stopped_at is not None)
            assert Ledger(engine).project(row.id).stop_reason == ("SoftReset" if version == "1.6"
                                                                  else "ImmediateReset")
            await _until(lambda: gateway.connected.get("SIM-2") not in (None, first), timeout=15)
            # the rebooted charger answers again, and is free for the next remote start
            assert (await gateway.command("SIM-2", "TriggerMessage", {"requestedMessage": "Heartbeat"}))[
                "status"] == "Accepted"
            await _until(lambda: Ledger(engine).project(row.id).status.value in ("Completed", "Cancelled"))
        finally:
            task.cancel()
            await station.close()


async def test_commands_for_the_other_protocol_or_with_bad_payloads_are_refused(engine):
    add_network(engine, station_id="SIM-3", ocpp="1.6")
    async with gateway_on(engine) as gateway:
        station, task = await _run_station(gateway, "SIM-3", "1.6")
        try:
            with pytest.raises(commands.BadCommand):
                await gateway.command("SIM-3", "RequestStartTransaction", {})
            assert (await gateway.command("SIM-3", "UnlockConnector", {"connectorId": 1}))["status"] == "Unlocked"
            assert (await gateway.command("SIM-3", "RemoteStopTransaction", {"transactionId": 999}))[
                "status"] == "Rejected"  # no such transaction on the charger
        finally:
            task.cancel()
            await station.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_simulators_handle_every_command_the_gateway_may_send(version):
    from chargeledger.ocpp.simulated.drive import _CLASSES
    handled = {name for name in dir(_CLASSES[version]) if hasattr(getattr(_CLASSES[version], name), "_on_action")}
    actions = {getattr(_CLASSES[version], name)._on_action for name in handled}
    assert set(commands.ALLOWED[version]) - actions == set()


PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


async def test_2_0_1_reports_monitoring_certificates_and_messages(engine):
    add_network(engine, station_id="SIM-4", ocpp="2.0.1")
    async with gateway_on(engine, command_timeout=5.0) as gateway:
        station, task = await _run_station(gateway, "SIM-4", "2.0.1")
        send = lambda name, payload: gateway.command("SIM-4", name, payload)  # noqa: E731
        try:
            assert (await send("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}))["status"] == \
                "Accepted"
            assert (await send("GetReport", {"requestId": 2, "componentVariable": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}))[
                "status"] == "Accepted"
            assert (await send("GetReport", {"requestId": 3, "componentVariable": [
                {"component": {"name": "Nope"}}]}))["status"] == "EmptyResultSet"
            assert (await send("InstallCertificate", {"certificateType": "CSMSRootCertificate",
                                                      "certificate": "not a certificate"}))["status"] == "Rejected"
            assert (await send("InstallCertificate", {"certificateType": "CSMSRootCertificate",
                                                      "certificate": PEM}))["status"] == "Accepted"
            ids = await send("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
            hash_data = ids["certificate_hash_data_chain"][0]["certificate_hash_data"]
            assert (await send("DeleteCertificate", {"certificateHashData": hash_data}))["status"] == "Accepted"
            assert (await send("DeleteCertificate", {"certificateHashData": hash_data}))["status"] == "NotFound"
            monitored = await send("SetVariableMonitoring", {"setMonitoringData": [
                {"value": 10, "type": "UpperThreshold", "severity": 5,
                 "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
            assert monitored["set_monitoring_result"][0]["status"] == "Accepted"
            assert (await send("GetMonitoringReport", {"requestId": 4}))["status"] == "Accepted"
            message = {"id": 1, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "Welkom"}}
            assert (await send("SetDisplayMessage", {"message": message}))["status"] == "Accepted"
            assert (await send("ClearDisplayMessage", {"id": 1}))["status"] == "Accepted"
            assert (await send("ClearDisplayMessage", {"id": 1}))["status"] == "Unknown"
            assert (await send("GetChargingProfiles", {"requestId": 5, "chargingProfile": {}}))["status"] == \
                "NoProfiles"
            assert (await send("UnpublishFirmware", {"checksum": "0" * 32}))["status"] == "NoFirmware"
            assert (await send("CustomerInformation", {"requestId": 6, "report": True, "clear": False,
                                                       "customerIdentifier": "DRIVER-1"}))["status"] == "Accepted"
            await asyncio.sleep(0.3)  # the follow-up reports reach the gateway, which answers them
            assert "SIM-4" in gateway.connected
        finally:
            task.cancel()
            await station.close()


async def test_with_the_operators_cards_a_refused_card_does_not_charge(engine):
    from chargeledger.directory import registry
    from chargeledger.domain.people import Driver, IdToken
    add_network(engine, station_id="SIM-5", ocpp="1.6")
    registry.add_driver(engine, Driver("DRV-9", "ACME", "Dana Driver", "dana@example.org", None, None),
                        [IdToken("GOOD01", "DRV-9")])
    async with gateway_on(engine, messages_per_second=1e6, message_burst=10**6) as gateway:
        url = f"ws://127.0.0.1:{gateway.port}"
        refused = SimulatedStation(url, "SIM-5", "1.6", 4000.0, random.Random(1), tags=["UNKNOWN9"])
        assert await refused.run(1) == 1
        with engine.connect() as conn:
            rows = conn.execute(select(sessions.c.status, sessions.c.energy_wh)).all()
        assert all(r.energy_wh == 0 and r.status != "Completed" for r in rows), rows
        accepted = SimulatedStation(url, "SIM-5", "1.6", 4000.0, random.Random(1), tags=["GOOD01"])
        assert await accepted.run(1) == 1
    with engine.connect() as conn:
        done = conn.execute(select(sessions.c.status, sessions.c.id_token).where(sessions.c.energy_wh > 0)).all()
    assert [tuple(r) for r in done] == [("Completed", "GOOD01")]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_chargers_take_a_long_local_list_in_parts(sqlite_engine, version):
    """The simulators take 20 entries per SendLocalList (and refuse more, as real chargers do): the operator's 25
    tokens reach them as two messages, and they hold all 25."""
    from chargeledger.directory import tokens
    from chargeledger.ocpp import local_list_updates

    add_network(sqlite_engine, station_id="SIM-1", ocpp=version)
    for n in range(25):
        tokens.add(sqlite_engine, "ACME", tokens.TokenEntry(f"CARD-{n:02d}"))
    async with gateway_on(sqlite_engine, command_timeout=5.0) as gateway:
        station, task = await _run_station(gateway, "SIM-1", version)
        try:
            sent = await local_list_updates.send(gateway, sqlite_engine, "SIM-1", "ACME", version, "Full", None)
            whole = await gateway.command("SIM-1", "SendLocalList", {
                **({"listVersion": 9} if version == "1.6" else {"versionNumber": 9}), "updateType": "Full",
                "localAuthorizationList": [{"idTag": f"X{n}"} if version == "1.6" else
                                           {"idToken": {"idToken": f"X{n}", "type": "ISO14443"}}
                                           for n in range(21)]})
        finally:
            task.cancel()
    assert (sent["messages"], sent["version"], sent["answer"]["status"]) == (2, 2, "Accepted")
    assert len(station.hw.local_list) == 25 and station.hw.local_list_version == 2
    assert whole["status"] == "Failed"  # 21 in one message: more than it takes
