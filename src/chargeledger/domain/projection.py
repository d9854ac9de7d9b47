"""The session as people see it, computed from its events and meter samples alone.

Everything here is a projection: recomputable at any time from the append-only ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .clock import trusted_samples
from .energy import DEFAULT_MAX_PLAUSIBLE_POWER_W, EnergyResult, session_energy
from .events import ChargingState, EventKind, SessionEvent
from .flags import Flag, FlagCode
from .intervals import Interval, SessionIntervals, derive
from .meter import MeterSample
from .start_source import StartSource, start_source_of


class SessionStatus(StrEnum):
    PENDING = "Pending"
    STARTING = "Starting"
    CHARGING = "Charging"
    PAUSED = "Paused"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    FAILED = "Failed"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({SessionStatus.PENDING, SessionStatus.STARTING, SessionStatus.CHARGING,
                             SessionStatus.PAUSED, SessionStatus.STOPPING})


class Milestone(StrEnum):
    CREATED = "Created"
    STARTING = "Starting"
    CHARGING = "Charging"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    COMPLETED = "Completed"
    FAILED = "Failed"
    RELEASED = "Released"


@dataclass(frozen=True)
class TimelineEntry:
    milestone: Milestone
    at: datetime
    time_in: timedelta | None  # until the next milestone; None while it is the current one


@dataclass(frozen=True)
class RoamingAttribution:
    network: str
    operator_id: str | None = None
    provider_id: str | None = None
    roaming_cdr_id: str | None = None
    partner_transaction_id: str | None = None


@dataclass(frozen=True)
class Identity:
    id_token: str | None = None
    token_type: str | None = None
    contract_id: str | None = None
    shared_id: str | None = None  # payment terminal: proves a card swipe, not who swiped
    driver_id: str | None = None


@dataclass(frozen=True)
class SessionView:
    status: SessionStatus
    created_at: datetime | None
    started_at: datetime | None
    stopped_at: datetime | None
    ended_at: datetime | None  # vehicle left (Released) or settlement
    transaction_id: str | None
    stop_reason: str | None
    failure_reason: str | None
    timeline: list[TimelineEntry]
    intervals: SessionIntervals
    energy: EnergyResult
    max_power_w: float | None
    average_power_w: float | None
    start_source: StartSource | None
    start_source_raw: str | None
    identity: Identity
    roaming: RoamingAttribution | None
    custom_fields: dict[str, Any]
    simulated: bool
    flags: list[Flag]
    last_event_at: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def energy_wh(self) -> float:
        return self.energy.energy_wh

    @property
    def open_flags(self) -> list[Flag]:
        return [f for f in self.flags if not f.resolved]


_IDENTITY_KEYS = ("id_token", "token_type", "contract_id", "shared_id", "driver_id")
_REFUSED_TOKEN = ("Invalid", "Blocked", "Expired", "ConcurrentTx")


def _ordered(events: list[SessionEvent]) -> list[SessionEvent]:
    # The charger's clock orders facts; at one instant a 2.0.1 seqNo orders a transaction's events (an offline queue
    # may deliver them in any order), then the storage sequence (same-instant resends).
    return sorted(events, key=lambda e: (e.occurred_at, _seq_no(e), e.seq))


def _seq_no(event: SessionEvent) -> int:
    seq_no = event.get("seq_no")
    return seq_no if isinstance(seq_no, int) else -1


def project(
    events: list[SessionEvent],
    samples: list[MeterSample] | None = None,
    now: datetime | None = None,
    max_power_w: float = DEFAULT_MAX_PLAUSIBLE_POWER_W,
) -> SessionView:
    return Fold().extend(events).view(samples, now, max_power_w)


def _order_key(event: SessionEvent) -> tuple:
    return event.occurred_at, _seq_no(event), event.seq


class Fold:
    """The session's events folded in their order (`_ordered`), kept so that later events are applied to it alone
    (the OCPP writer keeps one per session: docs/ocpi.md, bench). An event that sorts before one already applied (a
    charger's offline queue, a clock set back) makes the fold start again from all the events it holds, so the view
    is always the one `project` computes from all of them. `view` adds the samples and reads the fold, never
    changes it."""

    def __init__(self) -> None:
        self.events: list[SessionEvent] = []  # every event applied, in the order applied
        self._reset()

    def _reset(self) -> None:
        self.created_at: datetime | None = None
        self.last_key: tuple | None = None
        self.last_event_at: datetime | None = None
        self.milestones: list[tuple[Milestone, datetime]] = []
        self.status = SessionStatus.PENDING
        self.started_at = self.stopped_at = self.ended_at = self.plugged_at = self.unplugged_at = None
        self.transaction_id = self.stop_reason = self.failure_reason = self.start_source_raw = None
        self.meter_start = self.meter_stop = None
        self.state_changes: list[tuple[datetime, ChargingState]] = []
        self.identity: dict[str, Any] = {}
        self.roaming: RoamingAttribution | None = None
        self.custom: dict[str, Any] = {}
        self.simulated = False
        self.recorded_energy: float | None = None
        self.extra_flags: list[Flag] = []
        self.resolutions: dict[str, str] = {}
        self.current_state: ChargingState | None = None
        self.settled = False
        self.refused_token: str | None = None  # the charger started although the back office did not accept the token

    def extend(self, events: list[SessionEvent]) -> "Fold":
        """Apply events stored after those already applied (any order among themselves)."""
        new = _ordered(events)
        if new and self.last_key is not None and _order_key(new[0]) <= self.last_key:
            everything = _ordered([*self.events, *new])  # one sorts before what is applied: start again
            self.events = []
            self._reset()
            new = everything
        for event in new:
            self._apply(event)
        return self

    def milestone(self, kind: Milestone, at: datetime) -> None:
        if not any(m == kind for m, _ in self.milestones):
            self.milestones.append((kind, at))

    def _apply(self, e: SessionEvent) -> None:
        self.events.append(e)
        self.last_key = _order_key(e)
        k, at = e.kind, e.occurred_at
        self.last_event_at = at if self.last_event_at is None else max(self.last_event_at, at)
        if self.created_at is None:
            self.created_at = at
            self.milestone(Milestone.CREATED, at)
        milestone = self.milestone
        if k == EventKind.SESSION_CREATED:
            self.simulated = self.simulated or bool(e.get("simulated"))
        elif k == EventKind.PLUGGED_IN:
            self.plugged_at = self.plugged_at or at
        elif k == EventKind.AUTHORIZED:
            self.identity.update({key: e.get(key) for key in _IDENTITY_KEYS
                             if e.get(key) is not None})
            if e.get("status") in _REFUSED_TOKEN:
                self.refused_token = f"token {e.get('id_token')}, answered {e.get('status')}"
            if self.status == SessionStatus.PENDING:
                self.status = SessionStatus.STARTING
                milestone(Milestone.STARTING, at)
        elif k == EventKind.START_REQUESTED:
            self.start_source_raw = self.start_source_raw or e.get("start_source_raw")
            if self.status == SessionStatus.PENDING:
                self.status = SessionStatus.STARTING
                milestone(Milestone.STARTING, at)
        elif k in (EventKind.TRANSACTION_STARTED, EventKind.SESSION_RECORDED):
            if self.started_at is None:
                self.started_at = e.get("started_at_override") or at
                self.transaction_id = e.get("transaction_id")
                self.meter_start = e.get("meter_start_wh")
                self.start_source_raw = e.get("start_source_raw") or self.start_source_raw
                self.identity.update({key: e.get(key) for key in _IDENTITY_KEYS
                                 if e.get(key) is not None})
                milestone(Milestone.STARTING, at)
                milestone(Milestone.CHARGING, at)
                if self.status not in (SessionStatus.FAILED,):
                    self.status = SessionStatus.CHARGING
            if k == EventKind.SESSION_RECORDED:
                self.recorded_energy = e.get("energy_wh")
                self.plugged_at = self.plugged_at or at
                if e.get("stopped_at"):
                    self.stopped_at = _parse(e.get("stopped_at"))
                    self.meter_stop = e.get("meter_stop_wh")
                    self.stop_reason = e.get("stop_reason")
                    milestone(Milestone.STOPPED, self.stopped_at)
                    self.status = SessionStatus.STOPPED
                if e.get("unplugged_at"):
                    self.unplugged_at = _parse(e.get("unplugged_at"))
                self.extra_flags.extend(Flag(FlagCode.DATA_QUALITY, why) for why in e.get("implausible") or ())
        elif k == EventKind.CHARGING_STATE_CHANGED:
            self.current_state = ChargingState(e.get("state"))
            self.state_changes.append((at, self.current_state))
            if self.status in (SessionStatus.CHARGING, SessionStatus.PAUSED):
                self.status = (SessionStatus.CHARGING if self.current_state == ChargingState.CHARGING
                               else SessionStatus.PAUSED)
            if self.current_state == ChargingState.CHARGING:
                milestone(Milestone.CHARGING, at)
        elif k == EventKind.STOP_REQUESTED:
            if self.status in (SessionStatus.CHARGING, SessionStatus.PAUSED, SessionStatus.STARTING):
                self.status = SessionStatus.STOPPING
                milestone(Milestone.STOPPING, at)
        elif k == EventKind.STOP_REJECTED:
            if self.status == SessionStatus.STOPPING:
                self.status = (SessionStatus.PAUSED if self.current_state not in (None, ChargingState.CHARGING)
                          else SessionStatus.CHARGING)
        elif k in (EventKind.TRANSACTION_STOPPED, EventKind.FORCE_CLOSED):
            if self.stopped_at is None:
                self.stopped_at = at
                if k == EventKind.TRANSACTION_STOPPED:
                    self.meter_stop = e.get("meter_stop_wh")
                    self.stop_reason = e.get("reason")
                elif e.get("evidence"):
                    self.stop_reason = f"Closed automatically: {e.get('why')}"
                    self.extra_flags.append(Flag(FlagCode.CLOSED_BY_STATION, self.stop_reason))
                else:
                    self.stop_reason = f"Ended by {e.get('by')}: {e.get('why')}"
                    self.extra_flags.append(Flag(FlagCode.FORCE_CLOSED, self.stop_reason))
                milestone(Milestone.STOPPED, at)
                if self.status != SessionStatus.FAILED:
                    self.status = SessionStatus.STOPPED
                if e.get("orphan"):
                    self.extra_flags.append(Flag(FlagCode.ORPHAN_STOP,
                                            "stop received for a transaction this back office never saw start"))
        elif k == EventKind.UNPLUGGED:
            self.unplugged_at = self.unplugged_at or at
            milestone(Milestone.RELEASED, at)
        elif k == EventKind.FAILED:
            self.failure_reason = e.get("reason") or "unknown"
            self.status = SessionStatus.FAILED
            milestone(Milestone.FAILED, at)
        elif k == EventKind.SETTLED:
            self.settled = True
            self.ended_at = self.ended_at or at
        elif k == EventKind.ROAMING_ATTRIBUTED:
            self.roaming = RoamingAttribution(**{key: e.get(key)
                                                 for key in RoamingAttribution.__dataclass_fields__})
        elif k == EventKind.CUSTOM_FIELDS_SET:
            self.custom.update(e.get("fields") or {})
            for key in e.get("removed") or []:
                self.custom.pop(key, None)
        elif k == EventKind.MARKED_SIMULATED:
            self.simulated = True
        elif k == EventKind.SILENCE_FLAGGED:
            self.extra_flags.append(Flag(FlagCode.SESSION_SILENT, f"no message since {e.get('last_seen')}"))
        elif k == EventKind.FLAG_RESOLVED:
            self.resolutions[e.get("flag")] = f"{e.get('reason')} ({e.get('by')})"


    def view(self, samples: list[MeterSample] | None = None, now: datetime | None = None,
             max_power_w: float = DEFAULT_MAX_PLAUSIBLE_POWER_W) -> SessionView:
        samples = samples or []
        milestones = list(self.milestones)
        extra_flags = list(self.extra_flags)
        status, ended_at, settled = self.status, self.ended_at, self.settled
        started_at, stopped_at, unplugged_at = self.started_at, self.stopped_at, self.unplugged_at

        def milestone(kind: Milestone, at: datetime) -> None:
            if not any(m == kind for m, _ in milestones):
                milestones.append((kind, at))

        if self.refused_token and started_at is not None:
            extra_flags.append(Flag(FlagCode.TOKEN_NOT_ACCEPTED,
                                    f"the charger started anyway with {self.refused_token}"))
        if unplugged_at:
            milestone(Milestone.RELEASED, unplugged_at)
        samples, clock_flag = trusted_samples(samples, started_at, stopped_at, now)
        if clock_flag:
            extra_flags.append(clock_flag)
        energy = session_energy(samples, self.meter_start, self.meter_stop, started_at, stopped_at, max_power_w)
        if self.recorded_energy is not None and not samples and self.meter_start is None:
            energy = EnergyResult(float(self.recorded_energy), None, None, ())

        end_of_window = stopped_at or _latest(self.last_event_at, samples) or now or started_at
        plug_start = self.plugged_at or started_at
        plug_end = unplugged_at or (ended_at if settled else None) or stopped_at or now or end_of_window
        plug = Interval(plug_start, max(plug_end, plug_start)) if plug_start and plug_end else None
        transaction = (Interval(started_at, max(end_of_window, started_at))
                       if started_at and end_of_window else None)
        intervals = derive(plug, transaction, list(self.state_changes), samples, list(energy.register))

        if status in (SessionStatus.STOPPED,) and energy.energy_wh <= 0 and not intervals.charging_duration:
            status = SessionStatus.CANCELLED
        if status == SessionStatus.STOPPED and settled:
            status = SessionStatus.COMPLETED if energy.energy_wh > 0 else SessionStatus.CANCELLED
        if status == SessionStatus.STOPPED and energy.energy_wh <= 0:
            status = SessionStatus.CANCELLED
        if settled and status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
            milestone(Milestone.COMPLETED, ended_at)
        ended_at = unplugged_at or ended_at

        charging_seconds = intervals.charging_duration.total_seconds()
        average_power = energy.energy_wh * 3600.0 / charging_seconds if charging_seconds > 0 else None
        power_samples = [s.value for s in samples if s.measurand == 2 and s.phase == 0]
        max_power = max(power_samples) if power_samples else None

        flags = [_resolved(f, self.resolutions) for f in (*energy.flags, *extra_flags)]
        source = start_source_of(self.start_source_raw, self.identity.get("token_type"))
        return SessionView(
            status=status, created_at=self.created_at, started_at=started_at, stopped_at=stopped_at,
            ended_at=ended_at,
            transaction_id=self.transaction_id, stop_reason=self.stop_reason, failure_reason=self.failure_reason,
            timeline=_timeline(milestones, now), intervals=intervals, energy=energy,
            max_power_w=max_power, average_power_w=average_power,
            start_source=source, start_source_raw=self.start_source_raw,
            identity=Identity(**self.identity), roaming=self.roaming, custom_fields=dict(self.custom),
            simulated=self.simulated,
            flags=flags, last_event_at=_latest(self.last_event_at, samples),
        )


def _resolved(flag: Flag, resolutions: dict[str, str]) -> Flag:
    if flag.code.value in resolutions:
        return Flag(flag.code, flag.detail, True, resolutions[flag.code.value])
    return flag


def _latest(last_event_at: datetime | None, samples: list[MeterSample]) -> datetime | None:
    times = ([last_event_at] if last_event_at is not None else []) + [s.time for s in samples]
    return max(times) if times else None


def _timeline(milestones: list[tuple[Milestone, datetime]], now: datetime | None) -> list[TimelineEntry]:
    ordered = sorted(milestones, key=lambda m: m[1])
    out = []
    for index, (kind, at) in enumerate(ordered):
        nxt = ordered[index + 1][1] if index + 1 < len(ordered) else None
        out.append(TimelineEntry(kind, at, (nxt - at) if nxt else None))
    return out


def _parse(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
