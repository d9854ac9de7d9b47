"""Plug, charging and idle intervals from every signal the ledger has.

Charging intervals come, in order of preference, from charger-reported charging states (OCPP 1.6
StatusNotification, 2.0.1 chargingState), then from power samples, then from a rising energy register, and
last from the transaction start and stop. Power near zero inside a reported charging state counts as idle: a car
that is "Charging" at 0 W is parked. Idle time is plug time after charging first started that is not charging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .events import ChargingState
from .meter import Measurand, MeterSample, Phase

# Below this power a vehicle is treated as not drawing energy (trickle and standby draw).
POWER_NEAR_ZERO_W = 100.0


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def total(intervals: list[Interval]) -> timedelta:
    return sum((i.duration for i in intervals), timedelta())


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: i.start):
        if item.end <= item.start:
            continue
        if merged and item.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, item.end))
        else:
            merged.append(item)
    return merged


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return _merge([Interval(max(i.start, start), min(i.end, end)) for i in intervals])


def _subtract(base: Interval, holes: list[Interval]) -> list[Interval]:
    out, cursor = [], base.start
    for hole in _merge(holes):
        if hole.start > cursor:
            out.append(Interval(cursor, min(hole.start, base.end)))
        cursor = max(cursor, hole.end)
    if cursor < base.end:
        out.append(Interval(cursor, base.end))
    return [i for i in out if i.end > i.start]


def from_states(changes: list[tuple[datetime, ChargingState]], end: datetime) -> list[Interval]:
    out: list[Interval] = []
    open_since: datetime | None = None
    for time, state in sorted(changes, key=lambda c: c[0]):
        if state == ChargingState.CHARGING and open_since is None:
            open_since = time
        elif state != ChargingState.CHARGING and open_since is not None:
            out.append(Interval(open_since, time))
            open_since = None
    if open_since is not None:
        out.append(Interval(open_since, end))
    return _merge(out)


def from_power(samples: list[MeterSample], end: datetime) -> list[Interval]:
    """Spans in which total power is above the near-zero threshold; a span lasts to the next sample."""
    totals: dict[datetime, float] = {}
    phases: dict[datetime, float] = {}
    for s in samples:
        if s.measurand == Measurand.POWER_ACTIVE_IMPORT:
            if s.phase == Phase.NONE:
                totals[s.time] = s.value
            else:  # per-phase power sums to the total
                phases[s.time] = phases.get(s.time, 0.0) + s.value
    by_time = {**phases, **totals}  # a total reading wins over phases at the same instant
    points = sorted(by_time.items())
    out = []
    for index, (time, watts) in enumerate(points):
        nxt = points[index + 1][0] if index + 1 < len(points) else end
        if watts > POWER_NEAR_ZERO_W and nxt > time:
            out.append(Interval(time, nxt))
    return _merge(out)


def from_register(register: list[tuple[datetime, float]]) -> list[Interval]:
    out = []
    for (t0, v0), (t1, v1) in zip(register, register[1:]):
        seconds = (t1 - t0).total_seconds()
        if seconds > 0 and (v1 - v0) * 3600.0 / seconds > POWER_NEAR_ZERO_W:
            out.append(Interval(t0, t1))
    return _merge(out)


@dataclass(frozen=True)
class SessionIntervals:
    plug: Interval | None
    charging: list[Interval]
    idle: list[Interval]
    charging_source: str  # which signal the charging intervals came from

    @property
    def plug_duration(self) -> timedelta:
        return self.plug.duration if self.plug else timedelta()

    @property
    def charging_duration(self) -> timedelta:
        return total(self.charging)

    @property
    def idle_duration(self) -> timedelta:
        return total(self.idle)


def derive(
    plug: Interval | None,
    transaction: Interval | None,
    state_changes: list[tuple[datetime, ChargingState]],
    samples: list[MeterSample],
    register: list[tuple[datetime, float]],
) -> SessionIntervals:
    window = transaction or plug
    if window is None:
        return SessionIntervals(plug, [], [], "none")
    has_power = any(s.measurand == Measurand.POWER_ACTIVE_IMPORT for s in samples)
    if state_changes:
        charging, source = from_states(state_changes, window.end), "charging state"
        if has_power:
            # A reported "charging" state at near-zero power is parking, not charging.
            powered = from_power(samples, window.end)
            charging = [piece for c in charging for piece in _clip(powered, c.start, c.end)] or charging
            source = "charging state and power"
    elif has_power:
        charging, source = from_power(samples, window.end), "power"
    elif len(register) >= 3:
        charging, source = from_register(register), "energy register"
    else:
        charging, source = [window], "transaction"
    charging = _clip(charging, window.start, window.end)
    idle: list[Interval] = []
    outer = plug or window
    if charging:
        after_first = Interval(charging[0].start, max(outer.end, charging[-1].end))
        idle = _subtract(after_first, charging)
    return SessionIntervals(plug, charging, idle, source)
