"""The adapter from a session projection to what the pricing engine reads (pricing.Usage) and to settlement facts.

Energy follows the cleaned energy register when there is one (scaled to the session energy the projection
decided, so meter faults it flagged are not billed); otherwise it is spread evenly over the charging intervals.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from decimal import Decimal

from ..domain.projection import SessionView
from ..pricing import PricedSession, Usage, UsagePoint
from .electricity import EnergySlice
from .lines import UsageFacts

ZERO = Decimal(0)


def session_window(view: SessionView) -> tuple[datetime, datetime] | None:
    start = view.intervals.plug.start if view.intervals.plug else view.started_at
    end = view.intervals.plug.end if view.intervals.plug else (view.ended_at or view.stopped_at)
    if start is None or end is None:
        return None
    return start, max(start, end)


def _energy_curve(view: SessionView, start: datetime, end: datetime):
    """A function time -> cumulative Wh since start, never falling, ending at the session energy."""
    total = max(0.0, view.energy.energy_wh)
    register = [(t, v) for t, v in view.energy.register if start <= t <= end]
    if len(register) >= 2 and register[-1][1] > register[0][1]:
        times, values, peak = [], [], 0.0
        for t, v in register:
            peak = max(peak, v - register[0][1])
            times.append(t)
            values.append(peak)
        scale = total / values[-1] if values[-1] else 0.0

        def at(moment: datetime) -> float:
            i = bisect_right(times, moment) - 1
            if i < 0:
                return 0.0
            if i >= len(times) - 1:
                return values[-1] * scale
            span = (times[i + 1] - times[i]).total_seconds()
            part = (moment - times[i]).total_seconds() / span if span else 0.0
            return (values[i] + (values[i + 1] - values[i]) * part) * scale
        return at
    charging = view.intervals.charging or []
    seconds = sum(i.duration.total_seconds() for i in charging)

    def spread(moment: datetime) -> float:
        if not seconds:
            return 0.0
        done = sum(max(0.0, (min(moment, i.end) - i.start).total_seconds()) for i in charging)
        return total * done / seconds
    return spread


def usage_of(view: SessionView) -> Usage | None:
    """The pricing engine's Usage of a session, or None when it has no start/end yet."""
    window = session_window(view)
    if window is None:
        return None
    start, end = window
    charging = view.intervals.charging or []
    curve = _energy_curve(view, start, end)
    moments = {start, end, *(i.start for i in charging), *(i.end for i in charging),
               *(t for t, _ in view.energy.register)}
    points, last = [], Decimal(0)
    for moment in sorted(m for m in moments if start <= m <= end):
        wh = max(last, Decimal(str(round(curve(moment), 3))))
        last = wh
        is_charging = any(i.start <= moment < i.end for i in charging)
        points.append(UsagePoint(moment, wh, charging=is_charging))
    return Usage(start, end, tuple(points))


def facts_of(view: SessionView, priced: PricedSession) -> UsageFacts:
    charging = view.intervals.charging or []
    window = session_window(view)
    return UsageFacts(
        energy_kwh=priced.totals.total_energy,
        charging_hours=Decimal(str(view.intervals.charging_duration.total_seconds())) / Decimal(3600),
        charging_ended_at=charging[-1].end if charging else None,
        plug_ended_at=window[1] if window else None,
        reserved=any(p.kind == "RESERVATION" for p in priced.periods),
    )


def energy_slices(priced: PricedSession) -> list[EnergySlice]:
    return [EnergySlice(p.start, p.end, p.energy) for p in priced.periods if p.energy]
