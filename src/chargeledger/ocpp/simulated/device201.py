"""The rest of what a 2.0.1 CSMS may ask a simulated station, mixed into SimCharger201: reports, network profiles,
charging profiles listed, firmware publishing, monitoring, customer information, certificates, display messages and
cost updates. Each answers as a station does, and reports asked for follow the answer."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v201 import call, call_result

from .plan import iso


class Device201:
    @on("GetReport")
    def on_get_report(self, request_id, component_variable=None, component_criteria=None, **kw):
        wanted = {(cv["component"]["name"], (cv.get("variable") or {}).get("name")) for cv in component_variable or []}
        data = [item for item in self.variables.report()
                if not wanted or (item["component"]["name"], item["variable"]["name"]) in wanted
                or (item["component"]["name"], None) in wanted]
        if not data:
            return call_result.GetReport(status="EmptyResultSet")
        self.hw.after_answer(self.call(call.NotifyReport(request_id=request_id, generated_at=iso(self.hw.clock.now()),
                                                         seq_no=0, report_data=data)))
        return call_result.GetReport(status="Accepted")

    @on("SetNetworkProfile")
    def on_network_profile(self, configuration_slot, connection_data, **kw):
        if configuration_slot < 0 or not str(connection_data.get("ocpp_csms_url", "")).startswith(("ws://", "wss://")):
            return call_result.SetNetworkProfile(status="Rejected")
        self.network_profiles[configuration_slot] = connection_data
        return call_result.SetNetworkProfile(status="Accepted")

    @on("GetChargingProfiles")
    def on_get_profiles(self, request_id, charging_profile, evse_id=None, **kw):
        ids = set(charging_profile.get("charging_profile_id") or [])
        found = [p for p in self.hw.charging_profiles.values() if not ids or p["id"] in ids]
        if not found:
            return call_result.GetChargingProfiles(status="NoProfiles")
        self.hw.after_answer(self.call(call.ReportChargingProfiles(
            request_id=request_id, charging_limit_source="CSO", charging_profile=found, evse_id=evse_id or 1)))
        return call_result.GetChargingProfiles(status="Accepted")

    @on("PublishFirmware")
    def on_publish_firmware(self, location, checksum, request_id, **kw):
        async def publish():
            for status in ("Downloading", "Downloaded", "ChecksumVerified", "Published"):
                await self.call(call.PublishFirmwareStatusNotification(
                    status=status, request_id=request_id,
                    location=[f"http://{self.id.lower()}.local/firmware/{checksum}"] if status == "Published"
                    else None))
        self.published.add(checksum)
        self.hw.after_answer(publish())
        return call_result.PublishFirmware(status="Accepted")

    @on("UnpublishFirmware")
    def on_unpublish_firmware(self, checksum, **kw):
        if checksum not in self.published:
            return call_result.UnpublishFirmware(status="NoFirmware")
        self.published.discard(checksum)
        return call_result.UnpublishFirmware(status="Unpublished")

    @on("GetMonitoringReport")
    def on_monitoring_report(self, request_id, **kw):
        if not self.monitors:
            return call_result.GetMonitoringReport(status="EmptyResultSet")
        self.hw.after_answer(self.call(call.NotifyMonitoringReport(
            request_id=request_id, seq_no=0, generated_at=iso(self.hw.clock.now()),
            monitor=[{"component": m["component"], "variable": m["variable"], "variable_monitoring": [
                {"id": i, "transaction": bool(m.get("transaction")), "value": m["value"], "type": m["type"],
                 "severity": m["severity"]}]} for i, m in self.monitors.items()])))
        return call_result.GetMonitoringReport(status="Accepted")

    @on("SetMonitoringBase")
    def on_monitoring_base(self, monitoring_base, **kw):
        return call_result.SetMonitoringBase(status="Accepted")

    @on("SetMonitoringLevel")
    def on_monitoring_level(self, severity, **kw):
        return call_result.SetMonitoringLevel(status="Accepted" if 0 <= severity <= 9 else "Rejected")

    @on("SetVariableMonitoring")
    def on_set_monitoring(self, set_monitoring_data, **kw):
        results = []
        for item in set_monitoring_data:
            found = self.variables.get({"component": item["component"], "variable": item["variable"]})
            status = "Accepted" if found["attribute_status"] == "Accepted" else found["attribute_status"]
            answer = {"status": status, "type": item["type"], "severity": item["severity"],
                      "component": item["component"], "variable": item["variable"]}
            if status == "Accepted":
                monitor_id = item.get("id") or (max(self.monitors, default=0) + 1)
                self.monitors[monitor_id] = item
                answer["id"] = monitor_id
            results.append(answer)
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on("ClearVariableMonitoring")
    def on_clear_monitoring(self, id, **kw):
        return call_result.ClearVariableMonitoring(clear_monitoring_result=[
            {"id": i, "status": "Accepted" if self.monitors.pop(i, None) is not None else "NotFound"} for i in id])

    @on("CustomerInformation")
    def on_customer_information(self, request_id, report, clear, **kw):
        token = (kw.get("id_token") or {}).get("id_token") or kw.get("customer_identifier")
        if not token and not kw.get("customer_certificate"):
            return call_result.CustomerInformation(status="Invalid")
        if clear:
            self.hw.local_list.pop(token, None)
        if report:
            known = token in self.hw.local_list
            self.hw.after_answer(self.call(call.NotifyCustomerInformation(
                data=f"{token}: {'in the local list' if known else 'no data held'}", seq_no=0,
                generated_at=iso(self.hw.clock.now()), request_id=request_id)))
        return call_result.CustomerInformation(status="Accepted")

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type, certificate, **kw):
        ok = self.certificates.install(certificate_type, certificate)
        return call_result.InstallCertificate(status="Accepted" if ok else "Rejected")

    @on("GetInstalledCertificateIds")
    def on_installed_certificates(self, certificate_type=None, **kw):
        found = self.certificates.ids(certificate_type)
        return call_result.GetInstalledCertificateIds(
            status="Accepted" if found else "NotFound",
            certificate_hash_data_chain=[{"certificate_type": kind, "certificate_hash_data": data}
                                         for kind, data in found] or None)

    @on("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data, **kw):
        return call_result.DeleteCertificate(
            status="Accepted" if self.certificates.delete(certificate_hash_data) else "NotFound")

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain, certificate_type=None, **kw):
        ok = self.certificates.install(certificate_type or "ChargingStationCertificate", certificate_chain)
        return call_result.CertificateSigned(status="Accepted" if ok else "Rejected")

    @on("SetDisplayMessage")
    def on_set_display(self, message, **kw):
        if message.get("transaction_id") and (self.hw.transaction is None
                                              or str(self.hw.transaction.id) != message["transaction_id"]):
            return call_result.SetDisplayMessage(status="UnknownTransaction")
        self.messages[message["id"]] = message
        return call_result.SetDisplayMessage(status="Accepted")

    @on("GetDisplayMessages")
    def on_get_displays(self, request_id, id=None, **kw):
        found = [m for key, m in self.messages.items() if not id or key in id]
        if not found:
            return call_result.GetDisplayMessages(status="Unknown")
        self.hw.after_answer(self.call(call.NotifyDisplayMessages(request_id=request_id, message_info=found)))
        return call_result.GetDisplayMessages(status="Accepted")

    @on("ClearDisplayMessage")
    def on_clear_display(self, id, **kw):
        return call_result.ClearDisplayMessage(status="Accepted" if self.messages.pop(id, None) else "Unknown")

    @on("CostUpdated")
    def on_cost_updated(self, total_cost, transaction_id, **kw):
        self.running_cost[transaction_id] = total_cost  # shown to the driver on the display
        return call_result.CostUpdated()
