"""A projection as plain JSON: stored as the session's summary and served by the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..domain.intervals import Interval
from ..domain.projection import SessionView


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _seconds(value: timedelta | None) -> float | None:
    return round(value.total_seconds(), 3) if value is not None else None


def _interval(value: Interval) -> dict[str, Any]:
    return {"start": _time(value.start), "end": _time(value.end), "seconds": _seconds(value.duration)}


def summarise(view: SessionView) -> dict[str, Any]:
    iv = view.intervals
    return {
        "status": view.status.value,
        "created_at": _time(view.created_at),
        "started_at": _time(view.started_at),
        "stopped_at": _time(view.stopped_at),
        "ended_at": _time(view.ended_at),
        "transaction_id": view.transaction_id,
        "stop_reason": view.stop_reason,
        "failure_reason": view.failure_reason,
        "energy_wh": round(view.energy.energy_wh, 3),
        "meter_start_wh": view.energy.meter_start_wh,
        "meter_stop_wh": view.energy.meter_stop_wh,
        "plug_seconds": _seconds(iv.plug_duration),
        "charging_seconds": _seconds(iv.charging_duration),
        "idle_seconds": _seconds(iv.idle_duration),
        "charging_source": iv.charging_source,
        "max_power_w": view.max_power_w,
        "average_power_w": round(view.average_power_w, 1) if view.average_power_w is not None else None,
        "start_source": view.start_source.value if view.start_source else None,
        "start_source_raw": view.start_source_raw,
        "identity": {k: v for k, v in vars(view.identity).items() if v is not None},
        "roaming": {k: v for k, v in vars(view.roaming).items()} if view.roaming else None,
        "custom_fields": view.custom_fields,
        "simulated": view.simulated,
        "flags": [
            {"code": f.code.value, "severity": f.severity.value, "detail": f.detail,
             "resolved": f.resolved, "resolution": f.resolution}
            for f in view.flags
        ],
        "timeline": [
            {"milestone": t.milestone.value, "at": _time(t.at), "seconds_in": _seconds(t.time_in)}
            for t in view.timeline
        ],
        "last_event_at": _time(view.last_event_at),
    }


def intervals_json(view: SessionView) -> dict[str, Any]:
    iv = view.intervals
    return {
        "plug": _interval(iv.plug) if iv.plug else None,
        "charging": [_interval(i) for i in iv.charging],
        "idle": [_interval(i) for i in iv.idle],
    }
