"""A simulated OCPP 1.6J charge point with one connector: sends its session's messages and answers every command a
central system can send as a real one does (stop/start/reset/unlock act on the session script through Hardware)."""

from __future__ import annotations

from datetime import timedelta

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result

from .certificates import CertificateStore
from .configuration import Configuration16
from .hardware import Ending, Hardware, Transaction
from .plan import iso
from .security16 import Security16

_REASONS = {Ending.EV_LEFT: "EVDisconnected", Ending.REMOTE: "Remote", Ending.SOFT_RESET: "SoftReset",
            Ending.HARD_RESET: "HardReset", Ending.UNLOCK: "UnlockCommand", Ending.DEAUTHORIZED: "DeAuthorized"}
_TRIGGERS = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "DiagnosticsStatusNotification",
             "FirmwareStatusNotification")


class SimCharger16(Security16, ChargePoint):
    version = "1.6"

    def attach(self, hw: Hardware, config: Configuration16 | None = None) -> "SimCharger16":
        self.hw, self.config = hw, config or Configuration16()
        self.certificates = CertificateStore()
        return self

    # -- what the charger sends --------------------------------------------------------------------------------
    async def boot(self, rebooted: bool = False) -> None:
        await self.call(call.BootNotification(charge_point_model="SimCharger", charge_point_vendor="ChargeLedger",
                                              firmware_version="1.4.2", charge_point_serial_number=self.id))

    async def send_status(self, connector: int = 1) -> None:
        status = self.hw.status if connector else ("Available" if self.hw.operative else "Unavailable")
        await self.call(call.StatusNotification(connector_id=connector, error_code="NoError", status=status,
                                                timestamp=iso(self.hw.clock.now())))

    async def set_status(self, status: str) -> None:
        self.hw.status = status
        await self.send_status()

    async def plugged(self, remote: bool) -> None:
        await self.set_status("Preparing")

    async def authorize(self, tag: str) -> bool:
        answer = await self.call(call.Authorize(id_tag=tag))
        return answer.id_tag_info["status"] == "Accepted"

    async def begin(self, tag: str, remote_start_id: int | None) -> None:
        hw = self.hw
        started = await self.call(call.StartTransaction(connector_id=1, id_tag=tag,
                                                        meter_start=int(hw.meter.register_wh),
                                                        timestamp=iso(hw.clock.now())))
        hw.transaction = Transaction(started.transaction_id, tag, hw.clock.now())
        hw.reservations.clear()
        await self.set_status("Charging")

    async def send_meter(self) -> None:
        hw, m = self.hw, self.hw.meter
        values = [{"value": f"{m.reading(hw.clock.now()):.0f}", "measurand": "Energy.Active.Import.Register",
                   "unit": "Wh"},
                  {"value": f"{m.power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                  {"value": f"{m.current_a:.1f}", "measurand": "Current.Import", "unit": "A"},
                  {"value": f"{m.voltage_v:.0f}", "measurand": "Voltage", "unit": "V"}]
        if m.soc is not None:
            values.append({"value": f"{m.soc * 100:.0f}", "measurand": "SoC", "unit": "Percent", "location": "EV"})
        await self.call(call.MeterValues(
            connector_id=1, transaction_id=hw.transaction.id if hw.transaction else None,
            meter_value=[{"timestamp": iso(hw.clock.now()), "sampledValue": values}]))

    async def suspended(self) -> None:
        await self.set_status("SuspendedEV")

    async def end(self, ending: Ending) -> None:
        hw = self.hw
        await self.call(call.StopTransaction(meter_stop=int(hw.meter.register_wh), timestamp=iso(hw.clock.now()),
                                             transaction_id=hw.transaction.id, reason=_REASONS[ending]))
        hw.transaction, hw.meter.power_w = None, 0.0
        await self.set_status("Finishing")

    async def departed(self) -> None:
        hw = self.hw
        if hw.inoperative_after_transaction:
            hw.set_operative(False)
        await self.set_status("Available" if hw.operative else "Unavailable")

    # -- what the central system asks --------------------------------------------------------------------------
    @on("RemoteStartTransaction")
    def on_remote_start(self, id_tag, connector_id=None, **kw):
        if connector_id not in (None, 1):
            return call_result.RemoteStartTransaction(status="Rejected")
        accepted = self.hw.ask_start(id_tag)
        return call_result.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id, **kw):
        tx = self.hw.transaction
        accepted = tx is not None and tx.id == transaction_id and self.hw.ask_stop(Ending.REMOTE)
        return call_result.RemoteStopTransaction(status="Accepted" if accepted else "Rejected")

    @on("Reset")
    def on_reset(self, type, **kw):
        self.hw.ask_reboot(Ending.HARD_RESET if type == "Hard" else Ending.SOFT_RESET)
        return call_result.Reset(status="Accepted")

    @on("UnlockConnector")
    def on_unlock(self, connector_id, **kw):
        if connector_id != 1:
            return call_result.UnlockConnector(status="NotSupported")
        self.hw.ask_stop(Ending.UNLOCK)  # unlocking ends a running transaction (reason UnlockCommand)
        return call_result.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id, type, **kw):
        if connector_id not in (0, 1):
            return call_result.ChangeAvailability(status="Rejected")
        status = self.hw.set_operative(type == "Operative")
        if status == "Accepted":
            self.hw.after_answer(self.send_status())
        return call_result.ChangeAvailability(status=status)

    @on("TriggerMessage")
    def on_trigger(self, requested_message, connector_id=None, **kw):
        if requested_message not in _TRIGGERS or connector_id not in (None, 0, 1):
            return call_result.TriggerMessage(status="NotImplemented" if requested_message not in _TRIGGERS
                                              else "Rejected")
        sends = {
            "BootNotification": self.boot, "Heartbeat": lambda: self.call(call.Heartbeat()),
            "StatusNotification": lambda: self.send_status(0 if connector_id == 0 else 1),
            "MeterValues": self.send_meter,
            "DiagnosticsStatusNotification": lambda: self.call(call.DiagnosticsStatusNotification(status="Idle")),
            "FirmwareStatusNotification": lambda: self.call(call.FirmwareStatusNotification(status="Idle")),
        }
        self.hw.after_answer(sends[requested_message]())
        return call_result.TriggerMessage(status="Accepted")

    @on("GetConfiguration")
    def on_get_configuration(self, key=None, **kw):
        known, unknown = self.config.get(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    def on_change_configuration(self, key, value, **kw):
        return call_result.ChangeConfiguration(status=self.config.change(key, value))

    @on("ClearCache")
    def on_clear_cache(self, **kw):
        return call_result.ClearCache(status="Accepted")

    @on("GetLocalListVersion")
    def on_local_list_version(self, **kw):
        return call_result.GetLocalListVersion(list_version=self.hw.local_list_version)

    @on("SendLocalList")
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **kw):
        entries = [(e["id_tag"], e.get("id_tag_info")) for e in local_authorization_list or []]
        keys = self.config.keys
        return call_result.SendLocalList(status=self.hw.take_local_list(
            list_version, update_type, entries, int(keys["SendLocalListMaxLength"].value),
            int(keys["LocalAuthListMaxLength"].value)))

    @on("ReserveNow")
    def on_reserve(self, connector_id, expiry_date, id_tag, reservation_id, **kw):
        hw = self.hw
        if connector_id not in (0, 1):
            return call_result.ReserveNow(status="Rejected")
        if not hw.operative:
            return call_result.ReserveNow(status="Unavailable")
        if hw.transaction is not None or hw.status != "Available" and reservation_id not in hw.reservations:
            return call_result.ReserveNow(status="Occupied")
        hw.reservations[reservation_id] = id_tag
        hw.after_answer(self.set_status("Reserved"))
        return call_result.ReserveNow(status="Accepted")

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id, **kw):
        if self.hw.reservations.pop(reservation_id, None) is None:
            return call_result.CancelReservation(status="Rejected")
        if self.hw.status == "Reserved":
            self.hw.after_answer(self.set_status("Available"))
        return call_result.CancelReservation(status="Accepted")

    @on("SetChargingProfile")
    def on_set_profile(self, connector_id, cs_charging_profiles, **kw):
        profile = cs_charging_profiles
        if profile.get("charging_profile_purpose") == "TxProfile" and self.hw.transaction is None:
            return call_result.SetChargingProfile(status="Rejected")  # a TxProfile needs a running transaction
        self.hw.charging_profiles[profile["charging_profile_id"]] = profile
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    def on_clear_profile(self, id=None, **kw):
        profiles = self.hw.charging_profiles
        gone = [id] if id in profiles else ([] if id is not None else list(profiles))
        for key in gone:
            del profiles[key]
        return call_result.ClearChargingProfile(status="Accepted" if gone else "Unknown")

    @on("GetCompositeSchedule")
    def on_composite(self, connector_id, duration, charging_rate_unit=None, **kw):
        profiles = sorted(self.hw.charging_profiles.values(), key=lambda p: p.get("stack_level", 0))
        if not profiles or connector_id not in (0, 1):
            return call_result.GetCompositeSchedule(status="Rejected")
        schedule = dict(profiles[-1]["charging_schedule"], duration=duration)
        return call_result.GetCompositeSchedule(status="Accepted", connector_id=connector_id,
                                                schedule_start=iso(self.hw.clock.now()), charging_schedule=schedule)

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id, **kw):
        return call_result.DataTransfer(status="UnknownVendorId")

    @on("GetDiagnostics")
    def on_diagnostics(self, location, **kw):
        name = f"{self.id}-diagnostics.zip"

        async def upload():
            for status in ("Uploading", "Uploaded"):
                await self.call(call.DiagnosticsStatusNotification(status=status))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(upload())
        return call_result.GetDiagnostics(file_name=name)

    @on("UpdateFirmware")
    def on_update_firmware(self, location, retrieve_date, **kw):
        async def install():
            for status in ("Downloading", "Downloaded", "Installing", "Installed"):
                await self.call(call.FirmwareStatusNotification(status=status))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(install())
        return call_result.UpdateFirmware()
