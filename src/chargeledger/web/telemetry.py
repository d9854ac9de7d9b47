"""Chart data for the telemetry card: meter series down-sampled on the server, hourly kWh from the register.

Fallbacks follow the session page spec: no samples → consumption view only; no register readings → a two-point
line from the session record, with a note.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.meter import Measurand, MeterSample, Phase
from ..domain.projection import ACTIVE_STATUSES
from .schedule_limit import describe

MAX_POINTS = 400  # enough for a laptop-wide chart; long sessions are averaged into this many buckets
PHASES = (Phase.L1, Phase.L2, Phase.L3)
RUNNING = {status.value for status in ACTIVE_STATUSES}
_SERIES = {  # measurand → (name, how per-phase values combine when the total is missing, scale)
    Measurand.POWER_ACTIVE_IMPORT: ("power_kw", sum, 0.001),
    Measurand.CURRENT_IMPORT: ("current_a", lambda v: sum(v) / len(v), 1.0),
    Measurand.VOLTAGE: ("voltage_v", lambda v: sum(v) / len(v), 1.0),
    Measurand.SOC: ("soc_percent", max, 1.0),
}


def _per_time(samples: list[MeterSample], measurand: Measurand, combine) -> list[tuple[datetime, float]]:
    total: dict[datetime, float] = {}
    phases: dict[datetime, list[float]] = defaultdict(list)
    for s in samples:
        if s.measurand != measurand or s.value < 0:
            continue
        if s.phase == Phase.NONE:
            total[s.time] = s.value
        elif s.phase in PHASES or measurand == Measurand.VOLTAGE:
            phases[s.time].append(s.value)
    if total:
        return sorted(total.items())
    return sorted((t, combine(v)) for t, v in phases.items())


def cumulative_kwh(register: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """Energy delivered since the first reading; a drop (reset) counts on from the new value."""
    out, done, prev = [], 0.0, None
    for t, value in register:
        if prev is not None and value >= prev:
            done += value - prev
        out.append((t, done / 1000.0))
        prev = value
    return out


def downsample(points: list[tuple[datetime, float]], start: datetime, end: datetime,
               last: bool = False) -> dict[float, float]:
    """Bucket means (or the last value, for cumulative series) keyed by bucket mid-time in epoch seconds."""
    if len(points) <= MAX_POINTS or end <= start:
        return {t.timestamp(): v for t, v in points}
    width = (end - start).total_seconds() / MAX_POINTS
    buckets: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for t, v in points:
        index = min(int((t - start).total_seconds() / width), MAX_POINTS - 1)
        buckets[index].append((t.timestamp(), v))
    out = {}
    for items in buckets.values():
        when = sum(t for t, _ in items) / len(items)
        out[round(when, 3)] = items[-1][1] if last else sum(v for _, v in items) / len(items)
    return out


def hourly_kwh(register: list[tuple[datetime, float]], zone: str) -> list[dict[str, Any]]:
    """kWh per local hour: each register increment is spread evenly over the time it covers."""
    per_hour: dict[datetime, float] = defaultdict(float)
    for (t0, v0), (t1, v1) in zip(register, register[1:]):
        delta = v1 - v0
        if delta <= 0 or t1 <= t0:
            continue
        span = (t1 - t0).total_seconds()
        cursor = t0
        while cursor < t1:
            hour = cursor.replace(minute=0, second=0, microsecond=0)
            edge = min(hour + timedelta(hours=1), t1)
            per_hour[hour] += delta * (edge - cursor).total_seconds() / span
            cursor = edge
    tz = ZoneInfo(zone)
    return [{"hour": h.timestamp(), "label": h.astimezone(tz).strftime("%d %b %H:00"), "kwh": round(wh / 1000, 4)}
            for h, wh in sorted(per_hour.items())]


def _step_at(steps: list[tuple[float, float]], t: float) -> float | None:
    value = None
    for start, kw in steps:
        if start > t:
            break
        value = kw
    return value


def chart_data(detail: dict[str, Any], samples: list[MeterSample], zone: str,
               limit: dict[str, Any] | None = None) -> dict[str, Any]:
    """`limit`: the charge profile's power limit (schedule_limit.limit_steps), drawn as a step line over power."""
    register = _per_time(samples, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, sum)
    result: dict[str, Any] = {"time_zone": zone, "telemetry": None, "hourly": [], "fallback": None, "note": None}
    if samples:
        start, end = samples[0].time, samples[-1].time
        series: dict[str, dict[float, float]] = {}
        for measurand, (name, combine, scale) in _SERIES.items():
            points = [(t, v * scale) for t, v in _per_time(samples, measurand, combine)]
            if points:
                series[name] = downsample(points, start, end)
        if register:
            series["energy_kwh"] = downsample(cumulative_kwh(register), start, end, last=True)
        times = sorted({t for values in series.values() for t in values})
        if len(times) >= 2 and limit:  # the limit's own changes inside the session are points of the chart too
            times = sorted(set(times) | {t for t, _ in limit["steps"] if times[0] < t < times[-1]})
        if len(times) >= 2:  # one instant draws no curve
            result["telemetry"] = {"time": times,
                                   **{name: [values.get(t) for t in times] for name, values in series.items()}}
            if limit:
                result["telemetry"]["limit_kw"] = [_step_at(limit["steps"], t) for t in times]
                result["limit"] = {"source": limit["source"], "text": describe(limit, zone)}
    if len(register) >= 2:
        result["hourly"] = hourly_kwh(register, zone)
    if not result["hourly"]:
        start, stop = detail.get("started_at"), detail.get("stopped_at") or detail.get("last_event_at")
        if start and stop and stop > start:
            result["fallback"] = {"time": [_epoch(start), _epoch(stop)],
                                  "energy_kwh": [0.0, round((detail.get("energy_wh") or 0) / 1000, 4)]}
        if detail.get("status") in RUNNING:  # readings may simply not have come yet: not a gap in the record
            result["note"] = ("No energy metered yet: the chart fills in as the charger reports its readings.")
        else:
            result["note"] = ("Per-sample meter values weren't captured for this session: the line is a two-point "
                              "approximation from the session record (start, stop and energy).")
    return result


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
