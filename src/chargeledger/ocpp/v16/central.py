"""OCPP 1.6J central system side of one charger: each message is stored in the ledger before it is answered."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from ...directory import changes, registry
from ...domain.events import ChargingState, EventKind
from ..connection import CentralSide, utcnow
from ..meter_values import readings_digest, samples
from ..times import iso, read_time
from ..recorder import ocpp_event
from .. import (
    certificate_signing, charging_profiles, commands, configuration, connector_status, installed_certificates,
    local_list, reservations, security_log, site_limit, station_files, station_secrets, vendors,
)
from ..tokens import check_token, in_transaction_elsewhere

_STATES = {"Charging": ChargingState.CHARGING, "SuspendedEV": ChargingState.SUSPENDED_EV,
           "SuspendedEVSE": ChargingState.SUSPENDED_EVSE}
REMOTE_START_WINDOW = timedelta(minutes=5)


class Central16(CentralSide, ChargePoint):
    version = "1.6"
    known_actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        from ..stations import record_boot
        now = utcnow()
        status = await self.db(record_boot, self.gateway.engine, self.station.id, "1.6", charge_point_vendor,
                               charge_point_model, kw.get("charge_point_serial_number"), kw.get("firmware_version"),
                               now)
        self.frame_session = await self.store(self._booted(now))  # whatever we answer, it did reboot
        if status == "Accepted":  # a site's power limit is shared again with this station among the others
            site_limit.reshare_soon(self.gateway, self.station.site_id, utcnow())
        return call_result.BootNotification(current_time=iso(utcnow()), interval=self.registered(status),
                                            status=status)

    async def asking(self, request, source: str = "api", by: str | None = None) -> None:
        if type(request).__name__ == "ChangeConfiguration" and station_secrets.is_secret_key(request.key):
            try:  # a new password must be one we would accept, refused before the station takes it
                registry.check_station_password(request.value)
            except registry.RegistryError as exc:
                raise commands.BadCommand(str(exc)) from None

    async def answered(self, request, answer: dict, source: str = "api", by: str | None = None) -> None:
        """What the back office keeps of a command once the charger answered it."""
        await super().answered(request, answer, source, by)
        name, engine, sid, status = type(request).__name__, self.gateway.engine, self.station.id, answer.get("status")
        if name == "GetConfiguration":
            await self.db(configuration.reported, engine, sid, answer.get("configuration_key") or [], utcnow())
        elif name == "ChangeConfiguration" and status in ("Accepted", "RebootRequired"):
            await self.db(configuration.changed, engine, sid, request.key, request.value, utcnow())
            if station_secrets.is_secret_key(request.key):
                # the station took its new AuthorizationKey: from its next connection only that one is valid,
                # and we keep it only as the station password's hash
                await self.db(registry.set_station_password, engine, sid, request.value)
        elif name == "SendLocalList" and status == "Accepted":
            await self.db(local_list.accepted, engine, sid, self.version, asdict(request), utcnow())
        elif name == "GetLocalListVersion":
            await self.db(local_list.reported, engine, sid, answer["list_version"], utcnow())
        elif name == "SetChargingProfile" and status == "Accepted":
            profile = request.cs_charging_profiles
            await self.db(charging_profiles.accepted, engine, sid, request.connector_id,
                          profile if isinstance(profile, dict) else asdict(profile), utcnow())
        elif name == "RemoteStartTransaction" and status == "Accepted" and request.charging_profile:
            profile = request.charging_profile  # a TxProfile for the transaction about to start
            await self.db(charging_profiles.accepted, engine, sid, request.connector_id or 0,
                          profile if isinstance(profile, dict) else asdict(profile), utcnow())
        elif name == "ClearChargingProfile" and status == "Accepted":
            await self.db(charging_profiles.cleared, engine, sid, request.id, request.connector_id,
                          request.charging_profile_purpose, request.stack_level)
        elif name == "GetCompositeSchedule" and status == "Accepted":
            await self.db(charging_profiles.composite_reported, engine, sid, request.connector_id, answer, utcnow())
        elif name in ("UpdateFirmware", "SignedUpdateFirmware"):
            asked = asdict(request)
            await self.db(station_files.remember, engine, sid, station_files.FIRMWARE,
                          {"requested": {k: v for k, v in asked.items() if v is not None}, "status": "Requested",
                           "requested_at": utcnow().isoformat(), "answer": answer}, utcnow())
        elif name in ("GetDiagnostics", "GetLog"):
            await self.db(station_files.remember, engine, sid, station_files.DIAGNOSTICS,
                          {"file_name": answer.get("file_name") or answer.get("filename"), "status": "Requested",
                           "requested_at": utcnow().isoformat(), "answer": answer}, utcnow())
        elif name == "ReserveNow":
            await self.db(reservations.answered, engine, sid, request.reservation_id, request.connector_id,
                          request.id_tag, request.parent_id_tag, read_time(request.expiry_date), status, utcnow())
        elif name == "InstallCertificate":
            await self.db(installed_certificates.installed, engine, sid, request.certificate_type,
                          request.certificate, status, utcnow(), by)
        elif name == "GetInstalledCertificateIds" and status in ("Accepted", "NotFound"):
            items = [{"certificate_type": request.certificate_type, "certificate_hash_data": data}
                     for data in answer.get("certificate_hash_data") or []]
            await self.db(installed_certificates.listed, engine, sid, [request.certificate_type], items, utcnow())
        elif name == "DeleteCertificate" and status == "Accepted":
            await self.db(installed_certificates.deleted, engine, sid, request.certificate_hash_data, utcnow())
        elif name == "CertificateSigned":
            await self.db(certificate_signing.answered, engine, sid, request.certificate_chain, status, utcnow())
        elif name == "CancelReservation" and status == "Accepted":
            await self.db(reservations.cancelled, engine, sid, request.reservation_id, utcnow())

    def _booted(self, at: datetime):
        rec, st = self.gateway.recorder, self.station

        def work(conn):
            closed = rec.close_stale(conn, st, at, "the station rebooted", "BootNotification",
                                     f"ocpp16:{st.id}:boot:{iso(at)}")
            return (closed[0] if len(closed) == 1 else None), ({EventKind.FORCE_CLOSED} if closed else set())

        return work

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        self.gateway.seen(self.station.id)
        return call_result.Heartbeat(current_time=iso(utcnow()))

    @on(Action.authorize)
    async def on_authorize(self, id_tag, **kw):
        token = await self.read(check_token, self.gateway.engine, id_tag, utcnow(),
                                self.station.organisation_id)
        return call_result.Authorize(id_tag_info=_tag_info(token))

    @on(Action.status_notification)
    async def on_status(self, connector_id, error_code, status, call_unique_id, **kw):
        at = read_time(kw["timestamp"]) if kw.get("timestamp") else utcnow()
        self.frame_session = await self.store(self._status(connector_id, status, error_code, at, {
            "info": kw.get("info"), "vendor_error_code": kw.get("vendor_error_code")}))
        return call_result.StatusNotification()

    def _status(self, connector: int, status: str, error_code: str, at: datetime, more: dict):
        rec, st = self.gateway.recorder, self.station
        key = f"ocpp16:{st.id}:{connector}:status:{iso(at)}:{status}"

        def work(conn):
            # the connector's status with the message, in its transaction (not a commit of its own after it)
            connector_status.reported(conn, st.id, connector, status, error_code, at, more)
            if connector == 0:
                rec.set_station_status(conn, st.id, status, at)
                return None, set()
            if st.evse_id(connector) and status in changes.OCPP_TO_OCPI:
                changes.evse_status(conn, st.organisation_id, st.evse_id(connector), changes.OCPP_TO_OCPI[status], at)
            current = rec.current(conn, st.id, connector)
            if status == "Preparing":
                if current is not None and current.stopped:  # a new vehicle: the last one has gone
                    rec.leave(conn, st, connector, at, key)
                    current = None
                if current is None:
                    sid = rec.open(conn, st, f"ocpp:{st.id}:{connector}:plug:{iso(at)}", connector, at)
                else:
                    sid = current.session_id
                rec.write(conn, sid, [ocpp_event(EventKind.PLUGGED_IN, at, key)], [])
                return sid, {EventKind.PLUGGED_IN}
            if status in _STATES and current is not None:
                rec.write(conn, current.session_id, [ocpp_event(EventKind.CHARGING_STATE_CHANGED, at, key,
                                                                state=_STATES[status].value)], [])
                return current.session_id, {EventKind.CHARGING_STATE_CHANGED}
            if status == "Available":
                return rec.leave(conn, st, connector, at, key, current), {EventKind.UNPLUGGED, EventKind.SETTLED}
            if status == "Faulted" and current is not None:
                return current.session_id, set()  # the fault is in the log; the session goes on unless it stops
            return (current.session_id if current else None), set()

        return work

    @on(Action.start_transaction)
    async def on_start(self, connector_id, id_tag, meter_start, timestamp, **kw):
        at = read_time(timestamp)
        token = await self.read(check_token, self.gateway.engine, id_tag, utcnow(),
                                self.station.organisation_id)
        if await self.read(reservations.refuses, self.gateway.engine, self.station.id, connector_id, id_tag,
                           token.group_id, kw.get("reservation_id"), utcnow()):
            token = replace(token, status="Invalid")  # the connector is reserved for another token
        if token.accepted and not self.gateway.settings.concurrent_transactions and await self.read(
                in_transaction_elsewhere, self.gateway.engine, id_tag, self.station.id, connector_id):
            token = replace(token, status="ConcurrentTx")  # the card is charging another vehicle
        remote = self.gateway.take_remote_start(self.station.id, connector_id, at)
        sid = await self.store(self._start(connector_id, id_tag, meter_start, at, token, remote,
                                           kw.get("reservation_id")))
        self.frame_session = sid
        return call_result.StartTransaction(transaction_id=sid, id_tag_info=_tag_info(token))

    def _start(self, connector, id_tag, meter_start, at, token, remote, reservation_id):
        rec, st = self.gateway.recorder, self.station
        key = f"ocpp16:{st.id}:{connector}:start:{iso(at)}:{id_tag}"

        def work(conn):
            retried = rec.session_of_event(conn, key)
            if retried is not None:
                return retried, set()  # the charger lost our answer: same transaction, nothing new
            current = rec.current(conn, st.id, connector)
            if current is not None and current.started and not current.stopped:  # one transaction per connector
                rec.close_stale(conn, st, at, f"a new transaction started on connector {connector}",
                                "StartTransaction", key, connector)
            if current is not None and not current.started:
                sid = current.session_id
            else:
                sid = rec.open(conn, st, f"ocpp:{st.id}:{connector}:tx:{iso(at)}:{id_tag}", connector, at)
            events = [
                ocpp_event(EventKind.AUTHORIZED, at, f"{key}:auth", id_token=id_tag, token_type="ISO14443",
                           contract_id=token.contract_id, driver_id=token.driver_id, status=token.status),
                ocpp_event(EventKind.TRANSACTION_STARTED, at, key, transaction_id=str(sid),
                           meter_start_wh=float(meter_start), id_token=id_tag, token_type="ISO14443",
                           start_source_raw=remote or "Authorize",  # remote: who asked for it
                           reservation_id=reservation_id, token_status=token.status),
            ]
            from ...domain.meter import Measurand, MeterSample
            start_sample = MeterSample(at, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, float(meter_start))
            rec.write(conn, sid, events, [start_sample])
            reservations.used(conn, st.id, reservation_id, connector, id_tag, sid, at)
            charging_profiles.transaction_began(conn, st.id, connector, sid)
            return sid, {EventKind.AUTHORIZED, EventKind.TRANSACTION_STARTED}

        return work

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kw):
        found = samples(meter_value, f"{self.station.id} MeterValues")
        self.frame_session = await self.store(self._meter_values(connector_id, kw.get("transaction_id"), found))
        return call_result.MeterValues()

    def _meter_values(self, connector, transaction_id, found):
        rec, st = self.gateway.recorder, self.station

        def work(conn):
            sid = None
            if transaction_id is not None and rec.own_session(conn, st.id, transaction_id):
                sid = transaction_id
            elif connector:
                current = rec.current(conn, st.id, connector)
                sid = current.session_id if current and current.started and not current.stopped else None
            if sid is None:
                return None, set()  # clock-aligned readings outside a session stay in the message log only
            rec.write(conn, sid, [], found, refresh=False)
            if transaction_id is not None and found and rec.late_soon(
                    conn, sid, found[0].time, f"ocpp16:{st.id}:mv:{sid}:{readings_digest(found)}"):
                return sid, {EventKind.LATE_FACTS}  # an offline queue delivered readings after settlement
            return sid, set()

        return work

    @on(Action.stop_transaction)
    async def on_stop(self, meter_stop, timestamp, transaction_id, **kw):
        at = read_time(timestamp)
        found = samples(kw.get("transaction_data"), f"{self.station.id} StopTransaction")
        token = await self.read(check_token, self.gateway.engine, kw.get("id_tag"), utcnow(),
                                self.station.organisation_id) if kw.get("id_tag") else None
        self.frame_session = await self.store(self._stop(transaction_id, meter_stop, at,
                                                         kw.get("reason") or "Local", kw.get("id_tag"), found))
        return call_result.StopTransaction(id_tag_info=_tag_info(token) if token else None)

    def _stop(self, transaction_id, meter_stop, at, reason, id_tag, found):
        rec, st = self.gateway.recorder, self.station
        key = f"ocpp16:{st.id}:stop:{transaction_id}"

        def work(conn):
            orphan = not rec.own_session(conn, st.id, transaction_id)
            if orphan:
                sid = rec.open(conn, st, f"ocpp:{st.id}:orphan:{transaction_id}", None, at)
            else:
                sid = transaction_id
            from ...domain.meter import Measurand, MeterSample
            stop_sample = MeterSample(at, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, float(meter_stop))
            payload = {"meter_stop_wh": float(meter_stop), "reason": reason, "id_token": id_tag,
                       "transaction_id": str(transaction_id)}
            if orphan:
                payload["orphan"] = True
            added = rec.write(conn, sid, [ocpp_event(EventKind.TRANSACTION_STOPPED, at, key, **payload)],
                              [*found, stop_sample])
            charging_profiles.transaction_ended(conn, st.id, transaction_id)
            if rec.settle_if_ready(conn, sid, at, key):  # the vehicle left before the stop arrived
                return sid, {EventKind.TRANSACTION_STOPPED, EventKind.SETTLED}
            if added and rec.late(conn, sid, at, key):
                return sid, {EventKind.LATE_FACTS}
            return sid, {EventKind.TRANSACTION_STOPPED}

        return work

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **kw):
        status, data = await vendors.route(self.station, vendor_id, kw.get("message_id"), kw.get("data"))
        return call_result.DataTransfer(status=status, data=data)

    async def _status_of(self, topic: str, status: str, **more) -> None:
        now = utcnow()
        await self.db(station_files.remember, self.gateway.engine, self.station.id, topic,
                      {"status": status, "status_at": now.isoformat(), **more}, now)

    @on(Action.firmware_status_notification)
    async def on_firmware_status(self, status, **kw):
        await self._status_of(station_files.FIRMWARE, status)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status(self, status, **kw):
        await self._status_of(station_files.DIAGNOSTICS, status)
        return call_result.DiagnosticsStatusNotification()

    # -- the security extension (OCPP 1.6 security whitepaper, edition 2) -------------------------------------
    @on(Action.security_event_notification)
    async def on_security_event(self, type, timestamp, **kw):
        await self.db(security_log.record, self.gateway.engine, self.station.id, type, read_time(timestamp),
                      kw.get("tech_info"), utcnow())
        return call_result.SecurityEventNotification()

    @on(Action.signed_firmware_status_notification)
    async def on_signed_firmware_status(self, status, **kw):
        await self._status_of(station_files.FIRMWARE, status, request_id=kw.get("request_id"))
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status(self, status, **kw):
        await self._status_of(station_files.DIAGNOSTICS, status, request_id=kw.get("request_id"))
        return call_result.LogStatusNotification()

    @on(Action.sign_certificate)
    async def on_sign_certificate(self, csr, **kw):
        status, _ = await certificate_signing.requested(self, csr, None)
        return call_result.SignCertificate(status=status)


def _tag_info(token) -> dict:
    info = {"status": token.status}
    if token.expires_at is not None:
        info["expiry_date"] = iso(token.expires_at)
    if token.group_id:
        info["parent_id_tag"] = token.group_id
    return info
