"""OCPP 2.0.1 CSMS side of one charging station. A transaction is keyed by the station's own transactionId and
each TransactionEvent by its content (not its seqNo, which orders events but restarts after a reboot and can
repeat): resent and offline-queued events, in any order, add nothing twice."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import orjson

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from ...directory import changes
from ...domain.events import ChargingState, EventKind
from ...pki import contract
from .. import charging_profiles, device_model, remote_starts, reservations, station_state
from .. import connector_status as connector_status_store
from . import batches, effects
from .maintenance import Maintenance201
from .reservation import Reservation201
from .smart_charging import SmartCharging201
from ..connection import CentralSide, utcnow
from ..meter_values import register_wh, samples
from ..times import iso, read_time
from ..recorder import ocpp_event
from ..tokens import check_token, in_transaction_elsewhere

_STATES = {"Charging": ChargingState.CHARGING, "SuspendedEV": ChargingState.SUSPENDED_EV,
           "SuspendedEVSE": ChargingState.SUSPENDED_EVSE, "EVConnected": ChargingState.IDLE}
_PLUG_TRIGGERS = {"CablePluggedIn", "EVDetected"}
_LEAVE_TRIGGERS = {"EVDeparted", "EVCommunicationLost"}


def _token_info(token) -> dict:
    info = {"status": token.status}
    if token.expires_at is not None:
        info["cache_expiry_date_time"] = iso(token.expires_at)
    if getattr(token, "group_id", None):  # tokens of one group may stop each other's transactions (C09)
        info["group_id_token"] = {"id_token": token.group_id, "type": "Central"}
    return info


def _content_key(event_type, at, trigger, info, kw) -> str:
    """What makes two TransactionEvents the same event: everything but seqNo and the offline flag (a resend from
    the offline queue repeats the event with offline set)."""
    content = {"event_type": event_type, "timestamp": iso(at), "trigger_reason": trigger, "transaction_info": info,
               **{k: v for k, v in kw.items() if k not in ("offline", "custom_data")}}
    return hashlib.blake2b(orjson.dumps(content, option=orjson.OPT_SORT_KEYS), digest_size=10).hexdigest()


class Central201(Reservation201, SmartCharging201, Maintenance201, CentralSide, ChargePoint):
    version = "2.0.1"
    known_actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    async def on_boot(self, charging_station, reason, **kw):
        from ..stations import record_boot
        now = utcnow()
        status = await self.db(record_boot, self.gateway.engine, self.station.id, "2.0.1",
                               charging_station.get("vendor_name"), charging_station.get("model"),
                               charging_station.get("serial_number"), charging_station.get("firmware_version"),
                               now)
        rec, st = self.gateway.recorder, self.station

        def booted(conn):  # whatever we answer, the station did reboot: what ran before it is over
            closed = rec.close_stale(conn, st, now, f"the station rebooted ({reason})", "BootNotification",
                                     f"ocpp201:{st.id}:boot:{iso(now)}")
            return (closed[0] if len(closed) == 1 else None), ({EventKind.FORCE_CLOSED} if closed else set())

        self.frame_session = await self.store(booted)
        return call_result.BootNotification(current_time=iso(utcnow()), interval=self.registered(status),
                                            status=status)

    async def send_command(self, request, unique_id: str):
        ids = iter([unique_id])  # the first part carries the id the gateway logs the command under

        def one(part):
            return self.call(part, suppress=False, unique_id=next(ids, None))

        return await batches.send(self, request, one, self.gateway.engine)

    async def asking(self, request, source: str = "api", by: str | None = None) -> None:
        await self.db(effects.prepare, self.gateway.engine, self.station, request, source, by, utcnow())

    async def answered(self, request, answer: dict, source: str = "api", by: str | None = None) -> None:
        await super().answered(request, answer, source, by)
        await self.db(effects.apply, self.gateway.engine, self.station, request, answer, source, by, utcnow())

    @on(Action.notify_report)
    async def on_notify_report(self, request_id, generated_at, seq_no, **kw):
        # each part is stored as it comes: a report cut short by a disconnect still keeps what arrived
        await self.db(device_model.store, self.gateway.engine,
                      device_model.reported(self.station.id, kw.get("report_data"), read_time(generated_at)))
        return call_result.NotifyReport()

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        self.gateway.seen(self.station.id)
        return call_result.Heartbeat(current_time=iso(utcnow()))

    @on(Action.authorize)
    async def on_authorize(self, id_token, **kw):
        token = await self.read(check_token, self.gateway.engine, id_token.get("id_token"), utcnow(),
                                self.station.organisation_id)
        hash_data = kw.get("iso15118_certificate_hash_data")
        if not hash_data:
            return call_result.Authorize(id_token_info=_token_info(token))
        # an EV's contract certificate (C07): judged where our CA issued it; a contract it does not back is not
        # authorised, whatever the token book says of its id (C07.FR.16)
        status = await self.read(contract.certificate_status, self.gateway.engine, self.gateway.settings.authority,
                                 hash_data, utcnow())
        info = _token_info(token) if status == contract.ACCEPTED else {**_token_info(token), "status": "Invalid"}
        await self.db(station_state.remember, self.gateway.engine, self.station.id, "contract_certificate",
                      {"id_token": id_token.get("id_token"), "certificate_status": status,
                       "serial_numbers": [d.get("serial_number") for d in hash_data]}, utcnow())
        return call_result.Authorize(id_token_info=info, certificate_status=status)

    @on(Action.status_notification)
    async def on_status(self, timestamp, connector_status, evse_id, connector_id, **kw):
        at = read_time(timestamp)
        key = f"ocpp201:{self.station.id}:{evse_id}:status:{iso(at)}:Available"
        rec, st = self.gateway.recorder, self.station
        published = st.evse_id(evse_id) if connector_status in changes.OCPP_TO_OCPI else None
        # 2.0.1 reports errors apart (NotifyEvent Problem): a status keeps the error it had, until it is cleared
        held = (await self.read(connector_status_store.of_station, self.gateway.engine, st.id)).get(str(evse_id), {})

        def work(conn):
            # the status with its message, in the batch's transaction (not a commit of its own before it)
            connector_status_store.reported(conn, st.id, evse_id, connector_status, held.get("error_code") or "NoError",
                                            at, {"connector_id": connector_id, "info": held.get("info")})
            if published:
                changes.evse_status(conn, st.organisation_id, published, changes.OCPP_TO_OCPI[connector_status], at)
            if connector_status != "Available":
                return None, set()
            current = rec.current(conn, st.id, evse_id)
            if current is None or not current.stopped:
                return None, set()  # Available during a transaction is not the vehicle leaving
            return rec.leave(conn, st, evse_id, at, key, current), {EventKind.UNPLUGGED, EventKind.SETTLED}

        if published or connector_status == "Available":
            self.frame_session = await self.store(work)
        else:  # nothing else to write: the status alone
            await self.db(connector_status_store.reported, self.gateway.engine, st.id, evse_id, connector_status,
                          held.get("error_code") or "NoError", at, {"connector_id": connector_id,
                                                                    "info": held.get("info")})
        return call_result.StatusNotification()

    @on(Action.transaction_event)
    async def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **kw):
        at = read_time(timestamp)
        found = samples(kw.get("meter_value"), f"{self.station.id} TransactionEvent")
        id_token = kw.get("id_token")
        token = await self.read(check_token, self.gateway.engine, id_token.get("id_token"), utcnow(),
                                self.station.organisation_id) if id_token else None
        evse = (kw.get("evse") or {}).get("id")
        if token is not None and evse and event_type == "Started" and await self.read(
                reservations.refuses, self.gateway.engine, self.station.id, evse, id_token.get("id_token"),
                token.group_id, kw.get("reservation_id"), utcnow()):
            token = replace(token, status="Invalid")  # the EVSE is reserved for another token
        stopper = event_type == "Ended" or trigger_reason == "StopAuthorized"
        if token is not None and token.accepted and not stopper and not self.gateway.settings.concurrent_transactions \
                and await self.read(in_transaction_elsewhere, self.gateway.engine, id_token.get("id_token"),
                                    self.station.id, evse, _session_key(self.station.id, transaction_info)):
            token = replace(token, status="ConcurrentTx")  # the token is charging another vehicle
        asked = await self.read(remote_starts.asked, self.gateway.engine, self.station.id,
                                transaction_info.get("remote_start_id")) if event_type == "Started" else None
        self.frame_session = await self.store(self._transaction_event(event_type, at, trigger_reason, seq_no,
                                                                      transaction_info, kw, found, token, asked))
        return call_result.TransactionEvent(id_token_info=_token_info(token) if token else None)

    def _transaction_event(self, event_type, at, trigger, seq_no, info, kw, found, token, asked):
        rec, st = self.gateway.recorder, self.station
        txid = str(info["transaction_id"])
        evse = (kw.get("evse") or {}).get("id")
        key = f"ocpp201:{st.id}:{txid}:{_content_key(event_type, at, trigger, info, kw)}"
        state = info.get("charging_state")
        id_token = kw.get("id_token")
        meta = {"seq_no": seq_no, "trigger_reason": trigger, "offline": bool(kw.get("offline"))}
        events = []
        if event_type == "Started" or trigger in _PLUG_TRIGGERS:
            if trigger in _PLUG_TRIGGERS or state in _STATES:
                events.append(ocpp_event(EventKind.PLUGGED_IN, at, f"{key}:plugged", **meta))
        # a token that stops the transaction (its own, one of its group, a master pass) is not who charged
        stopper = event_type == "Ended" or trigger == "StopAuthorized"
        if id_token and token is not None and not stopper:
            events.append(ocpp_event(EventKind.AUTHORIZED, at, f"{key}:auth", id_token=id_token.get("id_token"),
                                     token_type=id_token.get("type"), contract_id=token.contract_id,
                                     driver_id=token.driver_id, status=token.status, **meta))
        if event_type == "Started":
            remote = info.get("remote_start_id") is not None or trigger == "RemoteStart"
            raw = "RequestStartTransaction" if remote else (id_token or {}).get("type") or trigger
            if asked:  # we know who asked for it: the operator, an API client, the app, a roaming partner
                raw = asked["source"]
            events.append(ocpp_event(
                EventKind.TRANSACTION_STARTED, at, f"{key}:started", transaction_id=txid,
                meter_start_wh=register_wh(found), id_token=(id_token or {}).get("id_token"),
                token_type=(id_token or {}).get("type"), start_source_raw=raw,
                remote_start_by=(asked or {}).get("by"), reservation_id=kw.get("reservation_id"), **meta))
        if state in _STATES:
            events.append(ocpp_event(EventKind.CHARGING_STATE_CHANGED, at, f"{key}:state",
                                     state=_STATES[state].value, **meta))
        left = trigger in _LEAVE_TRIGGERS or info.get("stopped_reason") == "EVDisconnected" or \
            (event_type == "Ended" and state == "Idle")
        if event_type == "Ended":
            events.append(ocpp_event(EventKind.TRANSACTION_STOPPED, at, f"{key}:stopped",
                                     meter_stop_wh=register_wh(found), transaction_id=txid,
                                     reason=info.get("stopped_reason") or "Local",
                                     id_token=(id_token or {}).get("id_token") if stopper else None, **meta))
        if left:
            events.append(ocpp_event(EventKind.UNPLUGGED, at, f"{key}:unplugged", **meta))

        def work(conn):
            sid = rec.open(conn, st, _session_key(st.id, info), evse, at)
            rec.fill_location(conn, st, sid, evse)
            if event_type == "Started" and evse is not None:  # one transaction per EVSE: any other is over
                rec.close_stale(conn, st, at, f"a new transaction ({txid}) started on EVSE {evse}",
                                "TransactionEvent Started", key, evse, keep=sid)
            added = rec.write(conn, sid, events, found, refresh=bool(events))
            if event_type == "Started" or kw.get("reservation_id") is not None:
                reservations.used(conn, st.id, kw.get("reservation_id"), evse or 0, (id_token or {}).get("id_token"),
                                  sid, at)
            if event_type == "Started" and evse is not None:  # a remote start's TxProfile is this transaction's
                charging_profiles.transaction_began(conn, st.id, evse, txid)
            if event_type == "Ended":  # a TxProfile lives as long as its transaction
                charging_profiles.transaction_ended(conn, st.id, txid)
            kinds = {e.kind for e in events} if added else set()
            # an offline queue may deliver Ended before Started: settle once both (and the departure) are in
            if rec.settle_if_ready(conn, sid, at, key):
                kinds.add(EventKind.SETTLED)
            elif (added or found) and rec.late(conn, sid, at, key):
                kinds.add(EventKind.LATE_FACTS)
            return sid, kinds

        return work

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id, meter_value, **kw):
        found = samples(meter_value, f"{self.station.id} MeterValues")
        rec, st = self.gateway.recorder, self.station

        def work(conn):
            current = rec.current(conn, st.id, evse_id) if evse_id else None
            if current is None or current.stopped:
                return None, set()  # readings outside a transaction stay in the message log only
            rec.write(conn, current.session_id, [], found, refresh=False)
            return current.session_id, set()

        self.frame_session = await self.store(work)
        return call_result.MeterValues()

    @on(Action.notify_event)
    async def on_notify_event(self, generated_at, seq_no, event_data, **kw):
        # Events are kept in the message log for support staff; a connector's Problem is also its error code.
        problems = [e for e in event_data if e["component"]["name"] == "Connector"
                    and e["variable"]["name"] == "Problem" and (e["component"].get("evse") or {}).get("id")]
        engine, st = self.gateway.engine, self.station
        for e in problems:
            evse = e["component"]["evse"]["id"]
            held = (await self.read(connector_status_store.of_station, engine, st.id)).get(str(evse), {})
            solved = e["actual_value"].lower() == "false" or bool(e.get("cleared"))
            await self.db(connector_status_store.reported, engine, st.id, evse, held.get("status") or "Unknown",
                          "NoError" if solved else e.get("tech_code") or "Problem", read_time(e["timestamp"]),
                          {"info": None if solved else e.get("tech_info")})
        return call_result.NotifyEvent()


def _session_key(station_id: str, transaction_info: dict) -> str:
    """The external key of the session of a 2.0.1 transaction."""
    return f"ocpp:{station_id}:tx:{transaction_info['transaction_id']}"
