"""A 1.6J charger for the feature-profile tests, played by the `ocpp` library over a real websocket.

It keeps what a real charger keeps (configuration keys, a local authorisation list with its version, reservations,
charging profiles, firmware and diagnostics requests) so a test can check what the back office made it do."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint
from ocpp.v16 import call_result as result


class Lab16(ChargePoint):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.config = {"HeartbeatInterval": ("300", False), "ChargePointModel": ("Lab", True),
                       "MeterValueSampleInterval": ("60", False)}
        self.local_list: dict[str, dict] = {}
        self.local_version = 0
        self.reservations: dict[int, dict] = {}
        self.profiles: list[dict] = []
        self.requests: list[tuple[str, dict]] = []  # every command received, in order
        self.answers: dict[str, str] = {}  # action -> status to answer instead of Accepted

    def _note(self, action: str, **kw) -> str:
        self.requests.append((action, kw))
        return self.answers.get(action, "Accepted")

    @on("GetConfiguration")
    def on_get_configuration(self, key=None, **kw):
        self._note("GetConfiguration", key=key)
        wanted = key or list(self.config)
        known = [{"key": k, "readonly": self.config[k][1], "value": self.config[k][0]} for k in wanted
                 if k in self.config]
        return result.GetConfiguration(configuration_key=known,
                                       unknown_key=[k for k in wanted if k not in self.config] or None)

    @on("ChangeConfiguration")
    def on_change_configuration(self, key, value, **kw):
        status = self._note("ChangeConfiguration", key=key, value=value)
        if key not in self.config:
            status = "NotSupported"
        elif self.config[key][1]:
            status = "Rejected"
        if status in ("Accepted", "RebootRequired"):
            self.config[key] = (value, False)
        return result.ChangeConfiguration(status=status)

    @on("ClearCache")
    def on_clear_cache(self, **kw):
        return result.ClearCache(status=self._note("ClearCache"))

    @on("Reset")
    def on_reset(self, type, **kw):
        return result.Reset(status=self._note("Reset", type=type))

    @on("UnlockConnector")
    def on_unlock(self, connector_id, **kw):
        status = self._note("UnlockConnector", connector_id=connector_id)
        return result.UnlockConnector(status="Unlocked" if status == "Accepted" else status)

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id, type, **kw):
        return result.ChangeAvailability(status=self._note("ChangeAvailability", connector_id=connector_id,
                                                           type=type))

    @on("TriggerMessage")
    def on_trigger(self, requested_message, **kw):
        return result.TriggerMessage(status=self._note("TriggerMessage", requested_message=requested_message, **kw))

    @on("RemoteStartTransaction")
    def on_remote_start(self, id_tag, **kw):
        return result.RemoteStartTransaction(status=self._note("RemoteStartTransaction", id_tag=id_tag, **kw))

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id, **kw):
        return result.RemoteStopTransaction(status=self._note("RemoteStopTransaction", transaction_id=transaction_id))

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id, **kw):
        self._note("DataTransfer", vendor_id=vendor_id, **kw)
        return result.DataTransfer(status="Accepted", data="pong")

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kw):
        self._note("GetLocalListVersion")
        return result.GetLocalListVersion(list_version=self.local_version)

    @on("SendLocalList")
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **kw):
        status = self._note("SendLocalList", list_version=list_version, update_type=update_type,
                            local_authorization_list=local_authorization_list)
        if status != "Accepted":
            return result.SendLocalList(status=status)
        entries = local_authorization_list or []
        if len(entries) > int(self.config.get("SendLocalListMaxLength", ("1000", True))[0]):
            return result.SendLocalList(status="Failed")  # more than one message may carry
        if update_type == "Differential" and list_version <= self.local_version:
            return result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            self.local_list = {}
        for entry in local_authorization_list or []:
            if entry.get("id_tag_info"):
                self.local_list[entry["id_tag"]] = entry["id_tag_info"]
            else:
                self.local_list.pop(entry["id_tag"], None)
        if len(self.local_list) > int(self.config.get("LocalAuthListMaxLength", ("1000", True))[0]):
            return result.SendLocalList(status="Failed")  # a real charger checks before it applies; enough here
        self.local_version = list_version
        return result.SendLocalList(status="Accepted")

    @on("ReserveNow")
    def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kw):
        status = self._note("ReserveNow", connector_id=connector_id, id_tag=id_tag, reservation_id=reservation_id)
        if status == "Accepted":
            self.reservations[reservation_id] = {"connector_id": connector_id, "id_tag": id_tag,
                                                 "expiry_date": expiry_date}
        return result.ReserveNow(status=status)

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id, **kw):
        self._note("CancelReservation", reservation_id=reservation_id)
        known = self.reservations.pop(reservation_id, None)
        return result.CancelReservation(status="Accepted" if known else "Rejected")

    @on("SetChargingProfile")
    def on_set_profile(self, connector_id, cs_charging_profiles, **kw):
        status = self._note("SetChargingProfile", connector_id=connector_id, cs_charging_profiles=cs_charging_profiles)
        if status == "Accepted":
            self.profiles = [p for p in self.profiles if p["profile"]["charging_profile_id"]
                             != cs_charging_profiles["charging_profile_id"]]
            self.profiles.append({"connector_id": connector_id, "profile": cs_charging_profiles})
        return result.SetChargingProfile(status=status)

    @on("ClearChargingProfile")
    def on_clear_profile(self, **kw):
        self._note("ClearChargingProfile", **kw)
        before = len(self.profiles)

        def matches(held):
            profile = held["profile"]
            if kw.get("id") is not None:
                return profile["charging_profile_id"] == kw["id"]
            return all(want is None or want == have for want, have in (
                (kw.get("connector_id"), held["connector_id"]),
                (kw.get("charging_profile_purpose"), profile["charging_profile_purpose"]),
                (kw.get("stack_level"), profile["stack_level"])))

        self.profiles = [p for p in self.profiles if not matches(p)]
        return result.ClearChargingProfile(status="Accepted" if len(self.profiles) < before else "Unknown")

    @on("GetCompositeSchedule")
    def on_composite(self, connector_id, duration, **kw):
        status = self._note("GetCompositeSchedule", connector_id=connector_id, duration=duration, **kw)
        if status != "Accepted" or not self.profiles:
            return result.GetCompositeSchedule(status="Rejected")
        schedule = self.profiles[-1]["profile"]["charging_schedule"]
        return result.GetCompositeSchedule(status="Accepted", connector_id=connector_id,
                                           schedule_start="2024-03-05T08:00:00Z",
                                           charging_schedule={**schedule, "duration": duration})

    @on("UpdateFirmware")
    def on_update_firmware(self, location, retrieve_date, **kw):
        self._note("UpdateFirmware", location=location, retrieve_date=retrieve_date, **kw)
        return result.UpdateFirmware()

    @on("GetDiagnostics")
    def on_get_diagnostics(self, location, **kw):
        self._note("GetDiagnostics", location=location, **kw)
        return result.GetDiagnostics(file_name="diagnostics-lab.zip")


@contextlib.asynccontextmanager
async def lab_charger(gateway, station_id: str, subprotocols=("ocpp1.6",), password: str | None = None):
    headers = {}
    if password is not None:  # security profile 1: HTTP Basic with the station id
        headers["Authorization"] = "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()
    ws = await websockets.connect(f"ws://127.0.0.1:{gateway.port}/ocpp/{station_id}",
                                  subprotocols=list(subprotocols) or None, additional_headers=headers)
    cp = Lab16(station_id, ws, response_timeout=5)
    task = asyncio.create_task(cp.start())
    try:
        yield cp
    finally:
        task.cancel()
        await ws.close()
