"""The OCPP 1.6 security extension on a simulated charge point: extended triggers, logs, signed firmware, and the
certificates it holds (mixed into SimCharger16)."""

from __future__ import annotations

from datetime import timedelta

from ocpp.routing import on
from ocpp.v16 import call, call_result

_EXTENDED = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "LogStatusNotification",
             "FirmwareStatusNotification", "SignChargePointCertificate")


class Security16:
    @on("ExtendedTriggerMessage")
    def on_extended_trigger(self, requested_message, connector_id=None, **kw):
        if requested_message not in _EXTENDED:
            return call_result.ExtendedTriggerMessage(status="NotImplemented")
        sends = {
            "BootNotification": self.boot, "Heartbeat": lambda: self.call(call.Heartbeat()),
            "StatusNotification": lambda: self.send_status(0 if connector_id == 0 else 1),
            "MeterValues": self.send_meter,
            "LogStatusNotification": lambda: self.call(call.LogStatusNotification(status="Idle")),
            "FirmwareStatusNotification": lambda: self.call(call.SignedFirmwareStatusNotification(status="Idle")),
            "SignChargePointCertificate": lambda: self.call(call.SignCertificate(
                csr="-----BEGIN CERTIFICATE REQUEST-----\nSIMULATED\n-----END CERTIFICATE REQUEST-----")),
        }
        self.hw.after_answer(sends[requested_message]())
        return call_result.ExtendedTriggerMessage(status="Accepted")

    @on("GetLog")
    def on_get_log(self, log, log_type, request_id, **kw):
        async def upload():
            for status in ("Uploading", "Uploaded"):
                await self.call(call.LogStatusNotification(status=status, request_id=request_id))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(upload())
        return call_result.GetLog(status="Accepted", filename=f"{self.id}-{log_type.lower()}.log")

    @on("SignedUpdateFirmware")
    def on_signed_update_firmware(self, request_id, firmware, **kw):
        if not firmware.get("signature") or not firmware.get("signing_certificate", "").strip():
            return call_result.SignedUpdateFirmware(status="InvalidCertificate")

        async def install():
            for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"):
                await self.call(call.SignedFirmwareStatusNotification(status=status, request_id=request_id))
                await self.hw.clock.wait(timedelta(seconds=2))
        self.hw.after_answer(install())
        return call_result.SignedUpdateFirmware(status="Accepted")

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type, certificate, **kw):
        ok = self.certificates.install(certificate_type, certificate)
        return call_result.InstallCertificate(status="Accepted" if ok else "Rejected")

    @on("GetInstalledCertificateIds")
    def on_installed_certificates(self, certificate_type, **kw):
        found = [data for _, data in self.certificates.ids([certificate_type])]
        return call_result.GetInstalledCertificateIds(status="Accepted" if found else "NotFound",
                                                      certificate_hash_data=found or None)

    @on("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data, **kw):
        return call_result.DeleteCertificate(
            status="Accepted" if self.certificates.delete(certificate_hash_data) else "NotFound")

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain, **kw):
        ok = self.certificates.install("ChargePointCertificate", certificate_chain)
        return call_result.CertificateSigned(status="Accepted" if ok else "Rejected")
