"""2.0.1 firmware, diagnostics, security, data transfer and remote control through a real websocket: UpdateFirmware
with its status notifications, GetLog uploading onto our endpoint, security events and certificates, DataTransfer
both ways, Reset/Unlock/ChangeAvailability/TriggerMessage, and no CS-initiated action left NotSupported (OCA
TC_L_xx, TC_N_xx, TC_A_xx, TC_M_xx, TC_P_xx, TC_B_xx reset, TC_F_xx)."""

from __future__ import annotations


import pytest
from ocpp.routing import create_route_map
from ocpp.v201 import call

from chargeledger.ocpp.v201.central import Central201
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, iso, support_key
from tests.ocpp.station201 import CERT_A, CERT_B, Station201

# every message a 2.0.1 station may send (OCPP 2.0.1 part 2, by functional block)
STATION_MESSAGES = (
    "Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
    "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
    "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
    "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
    "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
    "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent")


def test_every_station_message_has_a_handler():
    handled = create_route_map(Central201.__new__(Central201))
    assert [action for action in STATION_MESSAGES if action not in handled] == []


async def test_firmware_update_and_log_upload(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            cp.uploader = lambda url, content: client.put(url, content=content)
            updated = await client.post("/api/stations/CP-1/firmware", json={  # TC_L_01
                "location": "https://firmware.example/eve-5.2.bin", "retrieve_date": iso(at(0))})
            assert updated.json()["answer"]["status"] == "Accepted", updated.text
            asked = [r[1] for r in cp.received if r[0] == "UpdateFirmware"][-1]
            await eventually(lambda: cp._later and all(t.done() for t in cp._later))
            firmware = (await client.get("/api/stations/CP-1/firmware")).json()["firmware"]
            assert (firmware["status"], firmware["request_id"]) == ("Installed", asked["request_id"])
            assert firmware["location"] == "https://firmware.example/eve-5.2.bin"
            # GetLog: the station uploads to the one-time location we gave it (TC_N_25/26)
            logged = await client.post("/api/stations/CP-1/diagnostics", json={})
            assert logged.json()["answer"]["status"] == "Accepted", logged.text
            await eventually(lambda: len(cp._later) == 2 and all(t.done() for t in cp._later))
            state = (await client.get("/api/stations/CP-1/firmware")).json()
            assert (state["diagnostics"]["status"], state["diagnostics"]["log_type"]) == ("Uploaded", "DiagnosticsLog")
            [stored] = state["files"]
            content = await client.get(f"/api/stations/CP-1/files/{stored['id']}")
            assert content.content == b"boot ok\nfault 42\n"
            # the location was for one upload only
            location = [r[1] for r in cp.received if r[0] == "GetLog"][-1]["log"]["remote_location"]
            again = await client.put(location + "/again.log", content=b"x")
            assert again.status_code in (403, 404)


async def test_security_events_certificates_and_data_transfer(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            async def send(action, payload):
                answer = await client.post(f"/api/stations/CP-1/commands/{action}", json=payload)
                assert answer.status_code == 200, answer.text
                return answer.json()["answer"]

            await cp.call(call.SecurityEventNotification(type="TamperDetectionActivated", timestamp=iso(at(3)),
                                                         tech_info="lid opened"))  # TC_A_xx
            assert (await cp.call(call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----x",
                                                       certificate_type="ChargingStationCertificate"))).status == \
                "Accepted"  # TC_A_11..
            assert (await send("CertificateSigned", {"certificateChain": "-----BEGIN CERTIFICATE-----x",
                                                     "certificateType": "ChargingStationCertificate"}))[
                "status"] == "Accepted"
            assert (await send("InstallCertificate", {"certificateType": "CSMSRootCertificate",
                                                      "certificate": "-----BEGIN CERTIFICATE-----y"}))[
                "status"] == "Accepted"  # TC_M_01..
            listed = await send("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
            assert len(listed["certificate_hash_data_chain"]) == 2  # TC_M_xx
            camel = {"hashAlgorithm": "SHA256", "issuerNameHash": CERT_A["issuer_name_hash"],
                     "issuerKeyHash": CERT_A["issuer_key_hash"], "serialNumber": CERT_A["serial_number"]}
            assert (await send("DeleteCertificate", {"certificateHashData": camel}))["status"] == "Accepted"
            ev = await cp.call(call.Get15118EVCertificate(iso15118_schema_version="urn:iso:15118:2:2013:MsgDef",
                                                          action="Install", exi_request="AAAA"))
            assert ev.status == "Failed"  # we run no certificate service: said plainly, not NotSupported
            ocsp = await cp.call(call.GetCertificateStatus(ocsp_request_data={
                "hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c",
                "responderURL": "http://ocsp.example"}))
            assert ocsp.status == "Failed"
            # DataTransfer both ways (TC_P_01, P_02)
            echo = await cp.call(call.DataTransfer(vendor_id="org.chargeledger", message_id="Echo", data="ping"))
            assert (echo.status, echo.data) == ("Accepted", "ping")
            unknown = await cp.call(call.DataTransfer(vendor_id="com.unknown"))
            assert unknown.status == "UnknownVendorId"
            assert (await send("DataTransfer", {"vendorId": "com.alfen", "data": "x"}))["status"] == "Accepted"
            # remote control (TC_B_xx reset, TC_F_05 unlock, TC_G_xx availability, TC_F_xx trigger)
            assert (await send("Reset", {"type": "OnIdle"}))["status"] == "Accepted"
            assert (await send("UnlockConnector", {"evseId": 1, "connectorId": 1}))["status"] == "Unlocked"
            assert (await send("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}))[
                "status"] == "Accepted"
            assert (await send("TriggerMessage", {"requestedMessage": "Heartbeat"}))["status"] == "Accepted"
            bad = await client.post("/api/stations/CP-1/commands/Reset", json={"type": "Sometime"})
            assert bad.status_code in (400, 502), bad.text
            state = (await client.get("/api/stations/CP-1/state")).json()["topics"]
            events = (await client.get("/api/stations/CP-1/firmware")).json()["security_events"]
    assert [(e["type"], e["tech_info"]) for e in events] == [("TamperDetectionActivated", "lid opened")]
    signing = state["certificate_signing"]["value"]
    assert signing["csr"].startswith("-----BEGIN CERTIFICATE REQUEST") and signing["status"] == "Installed"
    assert [c["certificate_hash_data"]["serial_number"] for c in
            state["installed_certificates"]["value"]["certificates"]] == [CERT_B["serial_number"]]
    assert state["certificate_install"]["value"]["status"] == "Accepted"


@pytest.mark.parametrize("message", [
    call.NotifyCustomerInformation(data="name: J. Doe", seq_no=0, generated_at=iso(at(1)), request_id=3),
    call.NotifyDisplayMessages(request_id=4, message_info=[{"id": 1, "priority": "NormalCycle", "message": {
        "format": "UTF8", "content": "Welcome"}}]),
    call.NotifyMonitoringReport(request_id=5, seq_no=0, generated_at=iso(at(1))),
    call.PublishFirmwareStatusNotification(status="Published", location=["http://cs.local/fw.bin"], request_id=6),
], ids=lambda m: type(m).__name__)
async def test_reports_the_station_sends_are_kept(engine, message):
    add_network(engine, ocpp="2.0.1")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        await cp.call(message, suppress=False)  # answered, not NotSupported
    from chargeledger.ocpp.station_state import states
    kept = states(engine, "CP-1")
    assert kept and all(v["value"] for v in kept.values()), kept


async def test_custom_data_is_accepted_everywhere(engine):
    """TC_P_03: customData on a message and inside transactionInfo changes nothing."""
    add_network(engine, ocpp="2.0.1")
    custom = {"vendorId": "com.example", "colour": "blue"}
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        await cp.call(call.StatusNotification(timestamp=iso(at(0)), connector_status="Occupied", evse_id=1,
                                              connector_id=1, custom_data=custom), suppress=False)
        answer = await cp.call(call.TransactionEvent(
            event_type="Started", timestamp=iso(at(0)), trigger_reason="CablePluggedIn", seq_no=0,
            transaction_info={"transactionId": "cd-1", "chargingState": "EVConnected", "customData": custom},
            evse={"id": 1, "connectorId": 1}, custom_data=custom), suppress=False)
        assert answer is not None
        assert gateway.recorder.session_by_transaction("CP-1", "cd-1") is not None


async def test_each_connector_shows_its_current_status_and_error(engine):
    """The API shows what each connector last reported, for both versions (2.0.1: errors come by NotifyEvent)."""
    from ocpp.v16 import call as call16
    from tests.builders import add_user_key
    add_network(engine, ocpp="2.0.1")
    add_network(engine, "BOLT", "CP-16", country="DE")
    key = add_user_key(engine, "ops@both.example", ["ACME", "BOLT"], ["stations"])
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1", "2.0.1") as cp:
            await cp.call(call.StatusNotification(timestamp=iso(at(5)), connector_status="Occupied", evse_id=1,
                                                  connector_id=1))
            await cp.call(call.NotifyEvent(generated_at=iso(at(6)), seq_no=0, event_data=[{
                "eventId": 7, "timestamp": iso(at(6)), "trigger": "Alerting", "actualValue": "true",
                "techCode": "GroundFailure", "techInfo": "RCD tripped",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"}}]))
        async with charger(gateway, "CP-16") as cp16:
            await cp16.call(call16.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted",
                                                      timestamp=iso(at(2)), info="RCD"))
        async with api(engine, gateway, key) as client:
            shown = (await client.get("/api/stations/CP-1")).json()["connector_status"]["1"]
            shown16 = (await client.get("/api/stations/CP-16")).json()["connector_status"]["1"]
    assert (shown["status"], shown["error_code"], shown["info"]) == ("Occupied", "GroundFailure", "RCD tripped")
    assert (shown16["status"], shown16["error_code"]) == ("Faulted", "GroundFailure")


async def test_the_station_page_shows_what_the_station_reported_and_holds(engine):
    """The station page: registration, connector status and error, device model, firmware, local list,
    reservations, charging profiles and security events, as the station reported them over a real websocket."""
    from datetime import datetime, timedelta, timezone
    from chargeledger.directory import tokens
    add_network(engine, ocpp="2.0.1")
    tokens.add(engine, "ACME", tokens.TokenEntry("AA-01"))
    key = support_key(engine)
    soon = iso(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1))
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            async def send(action, payload):
                assert (await client.post(f"/api/stations/CP-1/commands/{action}", json=payload)).status_code == 200
            await cp.call(call.StatusNotification(timestamp=iso(at(1)), connector_status="Faulted", evse_id=1,
                                                  connector_id=1))
            await cp.call(call.NotifyEvent(generated_at=iso(at(2)), seq_no=0, event_data=[{
                "eventId": 1, "timestamp": iso(at(2)), "trigger": "Alerting", "actualValue": "true",
                "techCode": "OverCurrentFailure", "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"}}]))
            await send("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"})
            await send("UpdateFirmware", {"requestId": 9, "firmware": {
                "location": "https://fw.example/eve.bin", "retrieveDateTime": iso(at(0))}})
            await eventually(lambda: len(cp._later) == 2 and all(t.done() for t in cp._later))
            await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})
            await send("ReserveNow", {"id": 4, "expiryDateTime": soon, "idToken": {"idToken": "AA-01",
                                                                                  "type": "ISO14443"}})
            await send("SetChargingProfile", {"evseId": 1, "chargingProfile": {
                "id": 30, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute", "chargingSchedule": [{
                    "id": 1, "chargingRateUnit": "A", "startSchedule": iso(at(0)),
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}]}})
            await cp.call(call.SecurityEventNotification(type="FirmwareUpdated", timestamp=iso(at(3))))
            page = await client.get("/stations/CP-1")
    assert page.status_code == 200
    html = page.text
    for shown in ("Accepted", "Faulted", "OverCurrentFailure", "OCPPCommCtrlr.HeartbeatInterval",
                  "EVSE.Power (EVSE 1)", "Installed", "https://fw.example/eve.bin", "version 1, 1 tokens",
                  "TxDefaultProfile", "AA-01", "FirmwareUpdated", "UpdateFirmware <span class=\"muted\">→ Accepted"):
        assert shown in html, shown
