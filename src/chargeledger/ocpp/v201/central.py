"""OCPP 2.0.1 CSMS side of one charging station. A transaction is keyed by the station's own transactionId and
each TransactionEvent by its seqNo, so resent and offline-queued events (any order) add nothing twice."""

from __future__ import annotations

from datetime import datetime

from ocpp.exceptions import TypeConstraintViolationError
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from ...domain.events import ChargingState, EventKind
from ..connection import CentralSide, utcnow
from ..meter_values import BadTimestamp, parse_time, register_wh, samples
from ..recorder import ocpp_event
from ..tokens import check_token

_STATES = {"Charging": ChargingState.CHARGING, "SuspendedEV": ChargingState.SUSPENDED_EV,
           "SuspendedEVSE": ChargingState.SUSPENDED_EVSE, "EVConnected": ChargingState.IDLE}
_PLUG_TRIGGERS = {"CablePluggedIn", "EVDetected"}
_LEAVE_TRIGGERS = {"EVDeparted", "EVCommunicationLost"}


def _time(value) -> datetime:
    try:
        return parse_time(value)
    except BadTimestamp as exc:
        raise TypeConstraintViolationError(details={"cause": str(exc)}) from None


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _token_info(token) -> dict:
    info = {"status": token.status}
    if token.expires_at is not None:
        info["cache_expiry_date_time"] = _iso(token.expires_at)
    return info


class Central201(CentralSide, ChargePoint):
    version = "2.0.1"
    known_actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    async def on_boot(self, charging_station, reason, **kw):
        from ..stations import record_boot
        now = utcnow()
        await self.db(record_boot, self.gateway.engine, self.station.id, "2.0.1", charging_station.get("vendor_name"),
                      charging_station.get("model"), charging_station.get("serial_number"),
                      charging_station.get("firmware_version"), now)
        rec, st = self.gateway.recorder, self.station

        def booted(conn):
            closed = rec.close_stale(conn, st, now, f"the station rebooted ({reason})", "BootNotification",
                                     f"ocpp201:{st.id}:boot:{_iso(now)}")
            return (closed[0] if len(closed) == 1 else None), ({EventKind.FORCE_CLOSED} if closed else set())

        self.frame_session = await self.store(booted)
        return call_result.BootNotification(current_time=_iso(utcnow()),
                                            interval=self.gateway.settings.heartbeat_interval, status="Accepted")

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        self.gateway.seen(self.station.id)
        return call_result.Heartbeat(current_time=_iso(utcnow()))

    @on(Action.authorize)
    async def on_authorize(self, id_token, **kw):
        token = await self.read(check_token, self.gateway.engine, id_token.get("id_token"), utcnow(),
                                self.station.organisation_id)
        return call_result.Authorize(id_token_info=_token_info(token))

    @on(Action.status_notification)
    async def on_status(self, timestamp, connector_status, evse_id, connector_id, **kw):
        at = _time(timestamp)
        if connector_status == "Available":
            key = f"ocpp201:{self.station.id}:{evse_id}:status:{_iso(at)}:Available"
            rec, st = self.gateway.recorder, self.station

            def leave(conn):
                current = rec.current(conn, st.id, evse_id)
                if current is None or not current.stopped:
                    return None, set()  # Available during a transaction is not the vehicle leaving
                return rec.leave(conn, st, evse_id, at, key), {EventKind.UNPLUGGED, EventKind.SETTLED}

            self.frame_session = await self.store(leave)
        return call_result.StatusNotification()

    @on(Action.transaction_event)
    async def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **kw):
        at = _time(timestamp)
        found = samples(kw.get("meter_value"), f"{self.station.id} TransactionEvent")
        id_token = kw.get("id_token")
        token = await self.read(check_token, self.gateway.engine, id_token.get("id_token"), utcnow(),
                                self.station.organisation_id) if id_token else None
        self.frame_session = await self.store(self._transaction_event(event_type, at, trigger_reason, seq_no,
                                                                      transaction_info, kw, found, token))
        return call_result.TransactionEvent(id_token_info=_token_info(token) if token else None)

    def _transaction_event(self, event_type, at, trigger, seq_no, info, kw, found, token):
        rec, st = self.gateway.recorder, self.station
        txid = str(info["transaction_id"])
        evse = (kw.get("evse") or {}).get("id")
        key = f"ocpp201:{st.id}:{txid}:{seq_no}"
        state = info.get("charging_state")
        id_token = kw.get("id_token")
        meta = {"seq_no": seq_no, "trigger_reason": trigger, "offline": bool(kw.get("offline"))}
        events = []
        if event_type == "Started" or trigger in _PLUG_TRIGGERS:
            if trigger in _PLUG_TRIGGERS or state in _STATES:
                events.append(ocpp_event(EventKind.PLUGGED_IN, at, f"{key}:plugged", **meta))
        if id_token and token is not None:
            events.append(ocpp_event(EventKind.AUTHORIZED, at, f"{key}:auth", id_token=id_token.get("id_token"),
                                     token_type=id_token.get("type"), contract_id=token.contract_id,
                                     driver_id=token.driver_id, status=token.status, **meta))
        if event_type == "Started":
            remote = info.get("remote_start_id") is not None or trigger == "RemoteStart"
            raw = "RequestStartTransaction" if remote else (id_token or {}).get("type") or trigger
            events.append(ocpp_event(
                EventKind.TRANSACTION_STARTED, at, f"{key}:started", transaction_id=txid,
                meter_start_wh=register_wh(found), id_token=(id_token or {}).get("id_token"),
                token_type=(id_token or {}).get("type"), start_source_raw=raw, **meta))
        if state in _STATES:
            events.append(ocpp_event(EventKind.CHARGING_STATE_CHANGED, at, f"{key}:state",
                                     state=_STATES[state].value, **meta))
        left = trigger in _LEAVE_TRIGGERS or info.get("stopped_reason") == "EVDisconnected" or \
            (event_type == "Ended" and state == "Idle")
        if event_type == "Ended":
            events.append(ocpp_event(EventKind.TRANSACTION_STOPPED, at, f"{key}:stopped",
                                     meter_stop_wh=register_wh(found), transaction_id=txid,
                                     reason=info.get("stopped_reason") or "Local", **meta))
        if left:
            events.append(ocpp_event(EventKind.UNPLUGGED, at, f"{key}:unplugged", **meta))

        def work(conn):
            sid = rec.open(conn, st, f"ocpp:{st.id}:tx:{txid}", evse, at)
            rec.fill_location(conn, st, sid, evse)
            if event_type == "Started" and evse is not None:  # one transaction per EVSE: any other is over
                rec.close_stale(conn, st, at, f"a new transaction ({txid}) started on EVSE {evse}",
                                "TransactionEvent Started", key, evse, keep=sid)
            added = rec.write(conn, sid, events, found, refresh=bool(events))
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
    def on_notify_event(self, generated_at, seq_no, event_data, **kw):
        # Component/variable events (faults, availability) are kept in the message log for support staff.
        return call_result.NotifyEvent()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status, **kw):
        return call_result.FirmwareStatusNotification()
