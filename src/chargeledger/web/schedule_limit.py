"""The power limit a session's charge profile set, as steps in kW over time, for drawing over its power curve.

From the Schedule card's data (session_schedule.py): the composite schedule the station reported for the EVSE when
there is one (what it enforces), else the binding profile. Periods count from the schedule's start (its
`schedule_start`/`start_schedule`, or for a Relative profile the session's start). Limits in A become kW at 230 V
per phase (the period's phases, else 3): the chart shows what the limit allows, not what the car takes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .formatting import local_time, parse_time

VOLTS = 230.0


def _kw(limit, unit: str | None, phases) -> float | None:
    try:
        value = float(limit)
    except (TypeError, ValueError):
        return None
    if (unit or "W").upper() == "A":
        return round(value * VOLTS * float(phases or 3) / 1000, 3)
    return round(value / 1000, 3)


def _first(schedule):
    return schedule[0] if isinstance(schedule, list) and schedule else schedule if isinstance(schedule, dict) else {}


def limit_steps(schedule: dict[str, Any] | None, session_start: datetime | None) -> dict[str, Any] | None:
    """{"source", "steps": [(epoch seconds, kW), …]} or None when nothing limits the session."""
    if not schedule:
        return None
    composite = (schedule.get("composite") or {})
    reported = composite.get("schedule") or composite.get("charging_schedule")  # 2.0.1 / 1.6 answer
    if reported:
        start = composite.get("schedule_start") or reported.get("schedule_start") or reported.get("start_schedule")
        periods, unit = reported.get("charging_schedule_period") or [], reported.get("charging_rate_unit")
        source = "the composite schedule the station reported"
    elif schedule.get("profiles"):
        profile = schedule["profiles"][0]
        body = _first(profile["profile"].get("charging_schedule"))
        start = body.get("start_schedule") if profile["profile"].get("charging_profile_kind") != "Relative" else None
        periods, unit = body.get("charging_schedule_period") or [], body.get("charging_rate_unit")
        source = f"{profile['purpose']} #{profile['profile_id']}"
    else:
        return None
    origin = parse_time(start) or session_start
    if origin is None or not periods:
        return None
    steps = []
    for period in sorted(periods, key=lambda p: p.get("start_period") or 0):
        kw = _kw(period.get("limit"), unit, period.get("number_phases"))
        if kw is not None:
            when = origin + timedelta(seconds=float(period.get("start_period") or 0))
            steps.append((when.timestamp(), kw))
    return {"source": source, "steps": steps} if steps else None


def describe(limit: dict[str, Any], zone: str) -> str:
    """The text alternative of the drawn limit: each step in words, 24-hour in the page's zone."""
    parts = [f"{kw:g} kW from {local_time(datetime.fromtimestamp(t, timezone.utc), zone, '%Y-%m-%d %H:%M')}"
             for t, kw in limit["steps"]]
    return f"Power limit from {limit['source']}: " + "; ".join(parts) + "."
