"""A simulated OCPP 2.0.1 charging station with one EVSE and connector: a transaction starts when the cable is
plugged in (or on a remote start), meter values come in TransactionEvent updates, and every command a CSMS can send
is answered as a real station does."""

from __future__ import annotations

from datetime import timedelta

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result

from .certificates import CertificateStore
from .configuration import Variables201
from .device201 import Device201
from .hardware import Ending, Hardware, Transaction
from .plan import iso

# Ending -> (triggerReason, stoppedReason)
_ENDINGS = {Ending.EV_LEFT: ("EVDeparted", "EVDisconnected"), Ending.REMOTE: ("RemoteStop", "Remote"),
            Ending.SOFT_RESET: ("ResetCommand", "ImmediateReset"),
            Ending.HARD_RESET: ("ResetCommand", "ImmediateReset"), Ending.UNLOCK: ("UnlockCommand", "Other"),
            Ending.DEAUTHORIZED: ("Deauthorized", "DeAuthorized")}
_CONNECTOR = {"Available": "Available", "Unavailable": "Unavailable", "Reserved": "Reserved"}  # others: Occupied
_TRIGGERS = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent",
             "FirmwareStatusNotification", "LogStatusNotification")


class SimCharger201(Device201, ChargePoint):
    version = "2.0.1"

    def attach(self, hw: Hardware, variables: Variables201 | None = None) -> "SimCharger201":
        self.hw, self.variables = hw, variables or Variables201()
        self.certificates = CertificateStore()
        self.network_profiles: dict[int, dict] = {}
        self.published: set[str] = set()
        self.monitors: dict[int, dict] = {}
        self.messages: dict[int, dict] = {}
        self.running_cost: dict[str, float] = {}
        return self

    # -- what the station sends --------------------------------------------------------------------------------
    async def boot(self, rebooted: bool = False) -> None:
        await self.call(call.BootNotification(
            charging_station={"model": "SimCharger", "vendor_name": "ChargeLedger", "firmware_version": "2.1.0",
                              "serial_number": self.id},
            reason="RemoteReset" if rebooted else "PowerUp"))

    async def send_status(self) -> None:
        await self.call(call.StatusNotification(timestamp=iso(self.hw.clock.now()),
                                                connector_status=_CONNECTOR.get(self.hw.status, "Occupied"),
                                                evse_id=1, connector_id=1))

    async def set_status(self, status: str) -> None:
        self.hw.status = status
        await self.send_status()

    def _values(self, with_power: bool = True) -> list[dict]:
        m = self.hw.meter
        values = [{"value": round(m.reading(self.hw.clock.now()), 1), "measurand": "Energy.Active.Import.Register",
                   "unit_of_measure": {"unit": "Wh"}}]
        if with_power:
            values += [{"value": round(value, 1), "measurand": measurand, "unit_of_measure": {"unit": unit}}
                       for value, measurand, unit in ((m.power_w, "Power.Active.Import", "W"),
                                                      (m.current_a, "Current.Import", "A"),
                                                      (m.voltage_v, "Voltage", "V"))]
            if m.soc is not None:
                values.append({"value": round(m.soc * 100), "measurand": "SoC", "location": "EV",
                               "unit_of_measure": {"unit": "Percent"}})
        return [{"timestamp": iso(self.hw.clock.now()), "sampled_value": values}]

    async def event(self, kind: str, trigger: str, state: str | None = None, with_meter: bool = True,
                    power: bool = False, **extra) -> None:
        tx = self.hw.transaction
        info = {"transaction_id": str(tx.id), **({"charging_state": state} if state else {}), **extra.pop("info", {})}
        await self.call(call.TransactionEvent(
            event_type=kind, timestamp=iso(self.hw.clock.now()), trigger_reason=trigger, seq_no=tx.seq,
            transaction_info=info, meter_value=self._values(power) if with_meter else None, **extra))
        tx.seq += 1

    async def plugged(self, remote: bool) -> None:
        if remote:
            return  # the remote start opens the transaction (begin)
        hw = self.hw
        hw.transaction = Transaction(f"{self.id}-{int(hw.clock.now().timestamp() * 1000)}", "", hw.clock.now())
        hw.status = "Preparing"
        await self.event("Started", "CablePluggedIn", "EVConnected", evse={"id": 1, "connector_id": 1})
        await self.send_status()

    async def authorize(self, tag: str) -> bool:
        answer = await self.call(call.Authorize(id_token={"id_token": tag, "type": "ISO14443"}))
        return answer.id_token_info["status"] == "Accepted"

    async def begin(self, tag: str, remote_start_id: int | None) -> None:
        hw, token = self.hw, {"id_token": tag, "type": "ISO14443" if remote_start_id is None else "Central"}
        hw.reservations.clear()
        if hw.transaction is None:  # remote start: the transaction starts now, already authorised
            hw.transaction = Transaction(f"{self.id}-{int(hw.clock.now().timestamp() * 1000)}", tag, hw.clock.now())
            hw.status = "Preparing"
            await self.event("Started", "RemoteStart", "EVConnected", evse={"id": 1, "connector_id": 1},
                             id_token=token, info={"remote_start_id": remote_start_id})
            await self.send_status()
        else:
            hw.transaction.tag = tag
            await self.event("Updated", "Authorized", with_meter=False, id_token=token)
        hw.status = "Charging"
        await self.event("Updated", "ChargingStateChanged", "Charging")

    async def send_meter(self) -> None:
        if self.hw.transaction is not None:
            await self.event("Updated", "MeterValuePeriodic", power=True)
        else:
            await self.call(call.MeterValues(evse_id=1, meter_value=self._values()))

    async def suspended(self) -> None:
        self.hw.status = "SuspendedEV"
        await self.event("Updated", "ChargingStateChanged", "SuspendedEV")

    async def end(self, ending: Ending) -> None:
        trigger, reason = _ENDINGS[ending]
        state = "Idle" if ending == Ending.EV_LEFT else "EVConnected"
        await self.event("Ended", trigger, state, info={"stopped_reason": reason})
        self.hw.transaction, self.hw.meter.power_w, self.hw.status = None, 0.0, "Finishing"

    async def departed(self) -> None:
        hw = self.hw
        if hw.inoperative_after_transaction:
            hw.set_operative(False)
        await self.set_status("Available" if hw.operative else "Unavailable")

    # -- what the CSMS asks ------------------------------------------------------------------------------------
    @on("RequestStartTransaction")
    def on_request_start(self, id_token, remote_start_id, evse_id=None, **kw):
        accepted = evse_id in (None, 1) and self.hw.ask_start(id_token["id_token"], remote_start_id)
        return call_result.RequestStartTransaction(status="Accepted" if accepted else "Rejected")

    @on("RequestStopTransaction")
    def on_request_stop(self, transaction_id, **kw):
        tx = self.hw.transaction
        accepted = tx is not None and str(tx.id) == transaction_id and self.hw.ask_stop(Ending.REMOTE)
        return call_result.RequestStopTransaction(status="Accepted" if accepted else "Rejected")

    @on("GetTransactionStatus")
    def on_transaction_status(self, transaction_id=None, **kw):
        tx = self.hw.transaction
        ongoing = tx is not None and str(tx.id) == transaction_id if transaction_id else None
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on("Reset")
    def on_reset(self, type, evse_id=None, **kw):
        if evse_id is not None:
            return call_result.Reset(status="Rejected")  # one EVSE: reset the station, not an EVSE
        if type == "OnIdle" and self.hw.transaction is not None:
            self.hw.reboot = Ending.SOFT_RESET  # after the transaction ends by itself
            return call_result.Reset(status="Scheduled")
        self.hw.ask_reboot(Ending.HARD_RESET)
        return call_result.Reset(status="Accepted")

    @on("UnlockConnector")
    def on_unlock(self, evse_id, connector_id, **kw):
        if (evse_id, connector_id) != (1, 1):
            return call_result.UnlockConnector(status="UnknownConnector")
        if self.hw.transaction is not None and self.hw.transaction.tag:
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        self.hw.ask_stop(Ending.UNLOCK)  # a cable plugged in but never authorised: unlocking ends it
        return call_result.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")
    def on_change_availability(self, operational_status, evse=None, **kw):
        if evse and (evse.get("id") != 1 or evse.get("connector_id") not in (None, 1)):
            return call_result.ChangeAvailability(status="Rejected")
        status = self.hw.set_operative(operational_status == "Operative")
        if status == "Accepted":
            self.hw.after_answer(self.send_status())
        return call_result.ChangeAvailability(status=status)

    @on("TriggerMessage")
    def on_trigger(self, requested_message, evse=None, **kw):
        if requested_message not in _TRIGGERS:
            return call_result.TriggerMessage(status="NotImplemented")
        if evse and evse.get("id") != 1 or requested_message == "TransactionEvent" and self.hw.transaction is None:
            return call_result.TriggerMessage(status="Rejected")
        sends = {
            "BootNotification": lambda: self.boot(), "Heartbeat": lambda: self.call(call.Heartbeat()),
            "StatusNotification": self.send_status, "MeterValues": self.send_meter,
            "TransactionEvent": lambda: self.event("Updated", "Trigger", power=True),
            "FirmwareStatusNotification": lambda: self.call(call.FirmwareStatusNotification(status="Idle")),
            "LogStatusNotification": lambda: self.call(call.LogStatusNotification(status="Idle")),
        }
        self.hw.after_answer(sends[requested_message]())
        return call_result.TriggerMessage(status="Accepted")

    @on("GetVariables")
    def on_get_variables(self, get_variable_data, **kw):
        return call_result.GetVariables(get_variable_result=[self.variables.get(d) for d in get_variable_data])

    @on("SetVariables")
    def on_set_variables(self, set_variable_data, **kw):
        return call_result.SetVariables(set_variable_result=[self.variables.set(d) for d in set_variable_data])

    @on("GetBaseReport")
    def on_base_report(self, request_id, report_base, **kw):
        if report_base == "SummaryInventory":
            return call_result.GetBaseReport(status="NotSupported")
        self.hw.after_answer(self.call(call.NotifyReport(request_id=request_id, generated_at=iso(self.hw.clock.now()),
                                                         seq_no=0, report_data=self.variables.report())))
        return call_result.GetBaseReport(status="Accepted")

    @on("ClearCache")
    def on_clear_cache(self, **kw):
        return call_result.ClearCache(status="Accepted")

    @on("GetLocalListVersion")
    def on_local_list_version(self, **kw):
        return call_result.GetLocalListVersion(version_number=self.hw.local_list_version)

    @on("SendLocalList")
    def on_send_local_list(self, version_number, update_type, local_authorization_list=None, **kw):
        entries = [(e["id_token"]["id_token"], e.get("id_token_info")) for e in local_authorization_list or []]
        per_message = self.variables.values[("LocalAuthListCtrlr", "ItemsPerMessage")].value
        return call_result.SendLocalList(status=self.hw.take_local_list(version_number, update_type, entries,
                                                                        int(per_message)))

    @on("ReserveNow")
    def on_reserve(self, id, expiry_date_time, id_token, evse_id=None, **kw):
        hw = self.hw
        if evse_id not in (None, 1):
            return call_result.ReserveNow(status="Rejected")
        if not hw.operative:
            return call_result.ReserveNow(status="Unavailable")
        if hw.transaction is not None or hw.status not in ("Available", "Reserved"):
            return call_result.ReserveNow(status="Occupied")
        hw.reservations[id] = id_token["id_token"]
        hw.after_answer(self.set_status("Reserved"))
        return call_result.ReserveNow(status="Accepted")

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id, **kw):
        if self.hw.reservations.pop(reservation_id, None) is None:
            return call_result.CancelReservation(status="Rejected")
        if self.hw.status == "Reserved" and not self.hw.reservations:
            self.hw.after_answer(self.set_status("Available"))
        return call_result.CancelReservation(status="Accepted")

    @on("SetChargingProfile")
    def on_set_profile(self, evse_id, charging_profile, **kw):
        if charging_profile.get("charging_profile_purpose") == "TxProfile" and self.hw.transaction is None:
            return call_result.SetChargingProfile(status="Rejected")
        self.hw.charging_profiles[charging_profile["id"]] = charging_profile
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    def on_clear_profile(self, charging_profile_id=None, **kw):
        profiles = self.hw.charging_profiles
        gone = [charging_profile_id] if charging_profile_id in profiles else \
            ([] if charging_profile_id is not None else list(profiles))
        for key in gone:
            del profiles[key]
        return call_result.ClearChargingProfile(status="Accepted" if gone else "Unknown")

    @on("GetCompositeSchedule")
    def on_composite(self, duration, evse_id, charging_rate_unit=None, **kw):
        profiles = sorted(self.hw.charging_profiles.values(), key=lambda p: p.get("stack_level", 0))
        if not profiles or evse_id not in (0, 1):
            return call_result.GetCompositeSchedule(status="Rejected")
        schedule = profiles[-1]["charging_schedule"]
        schedule = schedule[0] if isinstance(schedule, list) else schedule
        return call_result.GetCompositeSchedule(status="Accepted", schedule={
            "evse_id": evse_id, "duration": duration, "schedule_start": iso(self.hw.clock.now()),
            "charging_rate_unit": charging_rate_unit or schedule.get("charging_rate_unit", "W"),
            "charging_schedule_period": schedule.get("charging_schedule_period", [])})

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id, **kw):
        return call_result.DataTransfer(status="UnknownVendorId")

    @on("UpdateFirmware")
    def on_update_firmware(self, request_id, firmware, **kw):
        async def install():
            for status in ("Downloading", "Downloaded", "Installing", "Installed"):
                await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(install())
        return call_result.UpdateFirmware(status="Accepted")

    @on("GetLog")
    def on_get_log(self, log, log_type, request_id, **kw):
        async def upload():
            for status in ("Uploading", "Uploaded"):
                await self.call(call.LogStatusNotification(status=status, request_id=request_id))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(upload())
        return call_result.GetLog(status="Accepted", filename=f"{self.id}-{log_type.lower()}.log")
