"""What the electricity for a session cost the operator: flat, time-of-use (local time) or an hourly price series.

Energy inside a priced period is taken to flow evenly over it, so a period crossing an hour or window boundary is
split at the boundary in proportion to time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Iterable, Mapping

from .profile import CostSource, TouWindow

ZERO = Decimal(0)


@dataclass(frozen=True)
class EnergySlice:
    start: datetime  # UTC
    end: datetime
    kwh: Decimal


@dataclass(frozen=True)
class ElectricityCost:
    amount: Decimal  # full precision, tariff currency
    missing_hours: tuple[datetime, ...] = ()  # hours without a stored price (cost then counts them as zero)


def _hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _cut(slices: Iterable[EnergySlice], boundaries: list[datetime]) -> list[EnergySlice]:
    """Split each slice at the boundaries inside it, sharing its energy in proportion to time."""
    out = []
    for s in slices:
        length = (s.end - s.start).total_seconds()
        if length <= 0:
            if s.kwh:
                out.append(s)
            continue
        cuts = [s.start, *sorted(b for b in boundaries if s.start < b < s.end), s.end]
        for a, b in zip(cuts, cuts[1:]):
            out.append(EnergySlice(a, b, s.kwh * Decimal(str((b - a).total_seconds())) / Decimal(str(length))))
    return out


def _hours(slices: list[EnergySlice]) -> list[datetime]:
    if not slices:
        return []
    hour, last = _hour_floor(min(s.start for s in slices)), max(s.end for s in slices)
    out = []
    while hour <= last:
        out.append(hour)
        hour += timedelta(hours=1)
    return out


def _window_boundaries(windows: tuple[TouWindow, ...], first: datetime, last: datetime, zone: tzinfo
                       ) -> list[datetime]:
    day: date = first.astimezone(zone).date() - timedelta(days=1)
    end_day = last.astimezone(zone).date() + timedelta(days=1)
    out = []
    while day <= end_day:
        for w in windows:
            for clock in (w.start, w.end):
                out.append(datetime.combine(day, clock, tzinfo=zone).astimezone(timezone.utc))
        day += timedelta(days=1)
    return out


def _in_window(w: TouWindow, clock: time) -> bool:
    if w.start < w.end:
        return w.start <= clock < w.end
    return clock >= w.start or clock < w.end  # crosses midnight (or covers the whole day when equal)


def electricity_cost(source: CostSource, slices: list[EnergySlice], zone: tzinfo,
                     hourly_prices: Mapping[datetime, Decimal] | None = None) -> ElectricityCost:
    """Cost of the energy in `slices`. Time-of-use windows are local wall-clock times of the station's zone."""
    if source.kind == "flat":
        return ElectricityCost(sum((s.kwh for s in slices), ZERO) * source.per_kwh)
    if source.kind == "time_of_use":
        if not slices:
            return ElectricityCost(ZERO)
        pieces = _cut(slices, _window_boundaries(source.windows, slices[0].start, slices[-1].end, zone))
        total = ZERO
        for piece in pieces:
            middle = (piece.start + (piece.end - piece.start) / 2).astimezone(zone).time()
            rate = next((w.per_kwh for w in source.windows if _in_window(w, middle)), source.default_per_kwh)
            total += piece.kwh * rate
        return ElectricityCost(total)
    prices = hourly_prices or {}
    total, missing = ZERO, []
    for piece in _cut(slices, _hours(slices)):
        hour = _hour_floor(piece.start)
        price = prices.get(hour)
        if price is None:
            if piece.kwh and hour not in missing:
                missing.append(hour)
            price = ZERO
        total += piece.kwh * (price + source.markup_per_kwh)
    return ElectricityCost(total, tuple(missing))
