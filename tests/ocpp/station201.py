"""A 2.0.1 charging station played by the ocpp library that answers what a CSMS sends, as the test sets it up:
`status[action]` is its answer's status (Accepted by default), `received` what it was sent, and `device` its device
model, which it reports in parts after a GetBaseReport."""

from __future__ import annotations

import asyncio

from ocpp.routing import on
from ocpp.v201 import call, call_result

from tests.ocpp.helpers import Charger201

DEVICE = [  # (component, evse, variable, value, mutability)
    ("OCPPCommCtrlr", None, "HeartbeatInterval", "300", "ReadWrite"),
    ("AuthCtrlr", None, "LocalPreAuthorize", "true", "ReadWrite"),
    ("SecurityCtrlr", None, "SecurityProfile", "1", "ReadOnly"),
    ("EVSE", 1, "Power", "22000", "ReadOnly"),
]


def _report_item(component, evse, variable, value, mutability) -> dict:
    item = {"component": {"name": component, **({"evse": {"id": evse}} if evse else {})},
            "variable": {"name": variable},
            "variable_attribute": [{"type": "Actual", "value": value, "mutability": mutability}]}
    if variable == "Power":
        item["variable_characteristics"] = {"unit": "W", "data_type": "decimal", "supports_monitoring": False}
    return item


class Station201(Charger201):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.status: dict[str, str] = {}
        self.received: list[tuple[str, dict]] = []
        self.device = {(c, e, v): (value, m) for c, e, v, value, m in DEVICE}
        self.boots: list = []  # answers to the BootNotifications it sent
        self.local_version, self.local_list = 0, {}  # its local authorisation list: uid -> status
        self._later: list[asyncio.Task] = []

    def _answer(self, action: str, kw: dict) -> str:
        self.received.append((action, kw))
        return self.status.get(action, "Accepted")

    def later(self, coro) -> None:
        """Send something after our answer went out (as a station does after it accepted a request)."""
        async def run():
            await asyncio.sleep(0.05)
            await coro
        self._later.append(asyncio.create_task(run()))

    async def boot(self, reason: str = "PowerUp"):
        answer = await self.call(call.BootNotification(
            charging_station={"model": "Eve", "vendorName": "Alfen", "firmwareVersion": "5.1"}, reason=reason))
        self.boots.append(answer)
        return answer

    @on("GetBaseReport")
    def on_get_base_report(self, request_id, report_base, **kw):
        status = self._answer("GetBaseReport", {"request_id": request_id, "report_base": report_base, **kw})
        if status == "Accepted":
            self.later(self._report(request_id))
        return call_result.GetBaseReport(status=status)

    async def _report(self, request_id: int) -> None:
        items = [_report_item(c, e, v, value, m) for (c, e, v), (value, m) in self.device.items()]
        parts = [items[:2], items[2:]]
        for seq, part in enumerate(parts):
            await self.call(call.NotifyReport(request_id=request_id, generated_at="2024-03-01T10:00:00Z",
                                              seq_no=seq, report_data=part, tbc=seq < len(parts) - 1))

    @on("GetReport")
    def on_get_report(self, request_id, **kw):
        """Only what the criteria name (B08): componentVariable by component (and EVSE, and variable when given)."""
        self._answer("GetReport", {"request_id": request_id, **kw})
        wanted = kw.get("component_variable") or []

        def named(c, e, v):
            return not wanted or any(w["component"]["name"] == c and
                                     (w["component"].get("evse") or {}).get("id") in (None, e) and
                                     (w.get("variable") or {}).get("name") in (None, v) for w in wanted)
        items = [_report_item(c, e, v, value, m) for (c, e, v), (value, m) in self.device.items() if named(c, e, v)]
        if not items:
            return call_result.GetReport(status="EmptyResultSet")
        self.later(self.call(call.NotifyReport(request_id=request_id, generated_at="2024-03-01T10:00:00Z",
                                               seq_no=0, report_data=items)))
        return call_result.GetReport(status="Accepted")

    @on("SetNetworkProfile")
    def on_set_network_profile(self, configuration_slot, connection_data, **kw):
        return call_result.SetNetworkProfile(status=self._answer("SetNetworkProfile", {
            "configuration_slot": configuration_slot, "connection_data": connection_data}))

    @on("TriggerMessage")
    def on_trigger(self, requested_message, **kw):
        status = self._answer("TriggerMessage", {"requested_message": requested_message, **kw})
        if status == "Accepted" and requested_message == "BootNotification":
            self.later(self.boot("Triggered"))
        return call_result.TriggerMessage(status=status)

    @on("SetVariables")
    def on_set_variables(self, set_variable_data, **kw):
        results = []
        for item in set_variable_data:
            self._answer("SetVariables", item)
            key = (item["component"]["name"], (item["component"].get("evse") or {}).get("id"),
                   item["variable"]["name"])
            known = key in self.device
            status = "UnknownVariable" if not known else \
                "Rejected" if self.device[key][1] == "ReadOnly" else "Accepted"
            if status == "Accepted":
                self.device[key] = (item["attribute_value"], self.device[key][1])
            results.append({"attribute_status": status, "component": item["component"],
                            "variable": item["variable"]})
        return call_result.SetVariables(set_variable_result=results)

    @on("GetVariables")
    def on_get_variables(self, get_variable_data, **kw):
        results = []
        for item in get_variable_data:
            self._answer("GetVariables", item)
            key = (item["component"]["name"], (item["component"].get("evse") or {}).get("id"),
                   item["variable"]["name"])
            found = self.device.get(key)
            results.append({"attribute_status": "Accepted" if found else "UnknownVariable",
                            "component": item["component"], "variable": item["variable"],
                            **({"attribute_value": found[0]} if found else {})})
        return call_result.GetVariables(get_variable_result=results)

    # -- authorization -------------------------------------------------------------------------------------------
    @on("SendLocalList")
    def on_send_local_list(self, version_number, update_type, **kw):
        status = self._answer("SendLocalList", {"version_number": version_number, "update_type": update_type, **kw})
        if status == "Accepted" and update_type == "Differential" and self.local_version == 0:
            status = "VersionMismatch"  # it lost its list: it needs a full one
        most = self.device.get(("LocalAuthListCtrlr", None, "ItemsPerMessage"))
        if status == "Accepted" and most and len(kw.get("local_authorization_list") or []) > int(most[0]):
            status = "Failed"  # more than one message may carry
        if status == "Accepted":
            if update_type == "Full":
                self.local_list = {}
            for item in kw.get("local_authorization_list") or []:
                uid = item["id_token"]["id_token"].lower()
                if item.get("id_token_info"):
                    self.local_list[uid] = item["id_token_info"]["status"]
                else:
                    self.local_list.pop(uid, None)
            self.local_version = version_number
        return call_result.SendLocalList(status=status)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kw):
        self._answer("GetLocalListVersion", kw)
        return call_result.GetLocalListVersion(version_number=self.local_version)

    @on("ClearCache")
    def on_clear_cache(self, **kw):
        return call_result.ClearCache(status=self._answer("ClearCache", kw))

    @on("RequestStartTransaction")
    def on_request_start(self, id_token, remote_start_id, **kw):
        status = self._answer("RequestStartTransaction", {"id_token": id_token, "remote_start_id": remote_start_id,
                                                          **kw})
        if status == "Accepted":
            self.later(self.call(call.TransactionEvent(
                event_type="Started", timestamp=self.clock(), trigger_reason="RemoteStart", seq_no=0,
                transaction_info={"transactionId": f"remote-{remote_start_id}", "chargingState": "Charging",
                                  "remoteStartId": remote_start_id},
                id_token={"idToken": id_token["id_token"], "type": id_token["type"]},
                evse={"id": kw.get("evse_id") or 1, "connectorId": 1})))
        return call_result.RequestStartTransaction(status=status)

    def clock(self) -> str:
        from tests.builders import at
        from tests.ocpp.helpers import iso
        return iso(at(5))

    # -- reservation and smart charging -------------------------------------------------------------------------
    @on("ReserveNow")
    def on_reserve_now(self, id, expiry_date_time, id_token, **kw):
        status = self._answer("ReserveNow", {"id": id, "expiry_date_time": expiry_date_time, "id_token": id_token,
                                             **kw})
        # with `evses` set, that many EVSEs (Type 2 sockets) it holds for unspecified-EVSE reservations: none left
        # for another (H01.FR.11); no socket of a type it does not have (H01.FR.06 Unavailable)
        if status == "Accepted" and self.evses is not None and kw.get("connector_type") not in (None, "cType2"):
            status = "Unavailable"
        elif status == "Accepted" and self.evses is not None and kw.get("evse_id") is None:
            self.reserved_any = getattr(self, "reserved_any", 0) + 1
            status = "Occupied" if self.reserved_any > self.evses else status
        return call_result.ReserveNow(status=status)

    evses: int | None = None

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id, **kw):
        return call_result.CancelReservation(status=self._answer("CancelReservation",
                                                                 {"reservation_id": reservation_id}))

    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id, charging_profile, **kw):
        status = self._answer("SetChargingProfile", {"evse_id": evse_id, "charging_profile": charging_profile})
        if status == "Accepted":
            same = (evse_id, charging_profile["charging_profile_purpose"], charging_profile["stack_level"])
            self.profiles = [(e, p) for e, p in getattr(self, "profiles", []) if p["id"] != charging_profile["id"]
                             and (e, p["charging_profile_purpose"], p["stack_level"]) != same]
            self.profiles.append((evse_id, charging_profile))
        return call_result.SetChargingProfile(status=status)

    @on("GetChargingProfiles")
    def on_get_charging_profiles(self, request_id, charging_profile, **kw):
        held = getattr(self, "profiles", [])
        status = self._answer("GetChargingProfiles", {"request_id": request_id}) if held else "NoProfiles"
        if status == "Accepted":
            for evse_id in sorted({e for e, _ in held}):
                self.later(self.call(call.ReportChargingProfiles(
                    request_id=request_id, charging_limit_source="CSO", evse_id=evse_id,
                    charging_profile=[p for e, p in held if e == evse_id])))
        return call_result.GetChargingProfiles(status=status)

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, **kw):
        return call_result.ClearChargingProfile(status=self._answer("ClearChargingProfile", kw))

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, duration, evse_id, **kw):
        status = self._answer("GetCompositeSchedule", {"duration": duration, "evse_id": evse_id, **kw})
        schedule = {"evse_id": evse_id, "duration": duration, "schedule_start": self.clock(),
                    "charging_rate_unit": kw.get("charging_rate_unit") or "W",
                    "charging_schedule_period": [{"start_period": 0, "limit": 11000.0},
                                                 {"start_period": 1800, "limit": 7400.0}]}
        return call_result.GetCompositeSchedule(status=status, schedule=schedule if status == "Accepted" else None)

    # -- firmware, diagnostics, security, remote control ---------------------------------------------------------
    @on("UpdateFirmware")
    def on_update_firmware(self, request_id, firmware, **kw):
        status = self._answer("UpdateFirmware", {"request_id": request_id, "firmware": firmware, **kw})
        if status == "Accepted":
            async def steps():
                for step in ("Downloading", "Downloaded", "Installing", "Installed"):
                    await self.call(call.FirmwareStatusNotification(status=step, request_id=request_id))
            self.later(steps())
        return call_result.UpdateFirmware(status=status)

    @on("GetLog")
    def on_get_log(self, log, log_type, request_id, **kw):
        status = self._answer("GetLog", {"log": log, "log_type": log_type, "request_id": request_id, **kw})
        if status == "Accepted" and self.uploader is not None:
            async def upload():
                await self.call(call.LogStatusNotification(status="Uploading", request_id=request_id))
                answer = await self.uploader(log["remote_location"] + "/station.log", b"boot ok\nfault 42\n")
                done = "Uploaded" if answer.status_code == 200 else "UploadFailure"
                await self.call(call.LogStatusNotification(status=done, request_id=request_id))
            self.later(upload())
        return call_result.GetLog(status=status, filename="station.log" if status == "Accepted" else None)

    uploader = None  # async (url, content) -> response: how this station reaches our upload endpoint

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type, certificate, **kw):
        return call_result.InstallCertificate(status=self._answer("InstallCertificate", {
            "certificate_type": certificate_type}))

    @on("GetInstalledCertificateIds")
    def on_get_installed_certificate_ids(self, **kw):
        self._answer("GetInstalledCertificateIds", kw)
        return call_result.GetInstalledCertificateIds(status="Accepted", certificate_hash_data_chain=[
            {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": CERT_A},
            {"certificate_type": "ManufacturerRootCertificate", "certificate_hash_data": CERT_B}])

    @on("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data, **kw):
        return call_result.DeleteCertificate(status=self._answer("DeleteCertificate", certificate_hash_data))

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain, **kw):
        return call_result.CertificateSigned(status=self._answer("CertificateSigned", kw))

    @on("Reset")
    def on_reset(self, type, **kw):
        return call_result.Reset(status=self._answer("Reset", {"type": type, **kw}))

    @on("UnlockConnector")
    def on_unlock(self, evse_id, connector_id, **kw):
        self._answer("UnlockConnector", {"evse_id": evse_id})
        return call_result.UnlockConnector(status=self.status.get("UnlockConnector", "Unlocked"))

    @on("ChangeAvailability")
    def on_change_availability(self, operational_status, **kw):
        return call_result.ChangeAvailability(status=self._answer("ChangeAvailability", kw))

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id, **kw):
        return call_result.DataTransfer(status=self._answer("DataTransfer", {"vendor_id": vendor_id, **kw}),
                                        data=kw.get("data"))


def _hash(serial: str) -> dict:
    return {"hash_algorithm": "SHA256", "issuer_name_hash": "a" * 64, "issuer_key_hash": "b" * 64,
            "serial_number": serial}


CERT_A, CERT_B = _hash("01"), _hash("02")
