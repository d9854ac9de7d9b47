"""2.0.1 Firmware, Diagnostics, Security and DataTransfer blocks, what the station tells us: firmware and log upload
statuses (the station's current state per topic, shared with 1.6), security events, certificate signing requests,
vendor data, and the reports it sends after our requests (customer information, display messages, monitoring).

OCSP (GetCertificateStatus) is answered for certificates of our own CA with a response it signs; for other issuers,
and for ISO 15118 contract certificates (Get15118EVCertificate: no Mobility Operator PKI is reachable), the answer is
Failed, honestly, so the station falls back."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from ...pki import ocsp
from .. import certificate_signing, security_log, station_files, station_state, vendors
from ..connection import utcnow
from ..times import read_time



class Maintenance201:
    async def _status_of(self, topic: str, status: str, **more) -> None:
        now = utcnow()
        await self.db(station_files.remember, self.gateway.engine, self.station.id, topic,
                      {"status": status, "status_at": now.isoformat(), **more}, now)

    async def _keep(self, topic: str, value: dict) -> None:
        await self.db(station_state.remember, self.gateway.engine, self.station.id, topic, value, utcnow())

    # -- firmware (L01, L02, L03) ---------------------------------------------------------------------------------
    @on(Action.firmware_status_notification)
    async def on_firmware_status(self, status, **kw):
        await self._status_of(station_files.FIRMWARE, status, request_id=kw.get("request_id"))
        return call_result.FirmwareStatusNotification()

    @on(Action.publish_firmware_status_notification)
    async def on_publish_firmware_status(self, status, **kw):
        await self._keep("firmware_publishing", {"status": status, "location": kw.get("location"),
                                                 "request_id": kw.get("request_id")})
        return call_result.PublishFirmwareStatusNotification()

    # -- diagnostics (N01 logs, N09 customer information, N0x monitoring) ----------------------------------------
    @on(Action.log_status_notification)
    async def on_log_status(self, status, **kw):
        await self._status_of(station_files.DIAGNOSTICS, status, request_id=kw.get("request_id"))
        return call_result.LogStatusNotification()

    @on(Action.notify_customer_information)
    async def on_customer_information(self, data, seq_no, generated_at, request_id, **kw):
        read_time(generated_at)
        held = await self.read(station_state.recall, self.gateway.engine, self.station.id, "customer_information")
        parts = (held or {}).get("parts", []) if (held or {}).get("request_id") == request_id else []
        await self._keep("customer_information", {"request_id": request_id, "complete": not kw.get("tbc"),
                                                  "parts": [*parts, {"seq_no": seq_no, "data": data}]})
        return call_result.NotifyCustomerInformation()

    @on(Action.notify_monitoring_report)
    async def on_monitoring_report(self, request_id, seq_no, generated_at, **kw):
        read_time(generated_at)
        await self._keep(f"monitoring_report:{seq_no}", {"request_id": request_id, "monitor": kw.get("monitor"),
                                                         "tbc": bool(kw.get("tbc"))})
        return call_result.NotifyMonitoringReport()

    @on(Action.notify_display_messages)
    async def on_display_messages(self, request_id, **kw):
        await self._keep("display_messages", {"request_id": request_id, "messages": kw.get("message_info") or []})
        return call_result.NotifyDisplayMessages()

    # -- security (A02/A03 certificates, A04 security events, M certificates) -------------------------------------
    @on(Action.security_event_notification)
    async def on_security_event(self, type, timestamp, **kw):
        await self.db(security_log.record, self.gateway.engine, self.station.id, type, read_time(timestamp),
                      kw.get("tech_info"), utcnow())
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate)
    async def on_sign_certificate(self, csr, **kw):
        status, reason = await certificate_signing.requested(self, csr, kw.get("certificate_type"))
        info = {"reason_code": "InvalidCSR", "additional_info": reason[:512]} if reason else None
        return call_result.SignCertificate(status=status, status_info=info)

    @on(Action.get_15118_ev_certificate)
    async def on_15118_ev_certificate(self, iso15118_schema_version, action, exi_request, **kw):
        # the contract certificate comes from the eMSP's Mobility Operator PKI through a contract certificate pool;
        # we reach none, so the EV falls back to other identification (the request is kept: the operator sees the
        # demand)
        await self._keep("ev_certificate_request", {"schema": iso15118_schema_version, "action": action,
                                                    "at": utcnow().isoformat(), "answer": "Failed"})
        return call_result.Get15118EVCertificate(status="Failed", exi_response="", status_info={
            "reason_code": "NoCertificateService",
            "additional_info": "no contract certificate pool is reachable from this CSMS"})

    @on(Action.get_certificate_status)
    async def on_certificate_status(self, ocsp_request_data, **kw):
        authority, serial = self.gateway.settings.authority, ocsp_request_data.get("serial_number")
        try:
            if authority is None:
                raise ocsp.NotOurs("no CA of ours is configured")
            result = await self.read(ocsp.respond, self.gateway.engine, authority, ocsp_request_data, utcnow())
        except ocsp.NotOurs as exc:  # another issuer's responder is not reachable from here
            await self._keep("certificate_status", {"serial_number": serial, "answer": "Failed", "reason": str(exc)})
            return call_result.GetCertificateStatus(status="Failed", status_info={
                "reason_code": "NoOCSPResponder", "additional_info": str(exc)[:512]})
        await self._keep("certificate_status", {"serial_number": serial, "answer": "Accepted"})
        return call_result.GetCertificateStatus(status="Accepted", ocsp_result=result)

    # -- data transfer (P01) ------------------------------------------------------------------------------------
    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **kw):
        status, data = await vendors.route(self.station, vendor_id, kw.get("message_id"), kw.get("data"))
        return call_result.DataTransfer(status=status, data=data)
