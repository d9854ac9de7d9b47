"""Tariff restrictions compiled for evaluation many times per session, and the human label of a tariff window."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chargeledger.pricing.tariff import DAYS, TariffRestrictions

SESSION, RESERVATION, RESERVATION_EXPIRED = 0, 1, 2  # the phase a moment belongs to
_DAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _seconds_of_day(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60


class ElementRule:
    """The restrictions of one tariff element in the units the engine measures (Wh, µs, W, A)."""

    __slots__ = (
        "index", "unrestricted", "has_calendar", "window_start", "window_end", "days", "first_day", "last_day",
        "min_wh", "max_wh", "min_duration_us", "max_duration_us", "min_w", "max_w", "min_a", "max_a",
        "reservation", "label",
    )

    def __init__(self, index: int, r: TariffRestrictions | None):
        self.index = index
        r = r or TariffRestrictions()
        self.window_start = _seconds_of_day(r.start_time) if r.start_time else None
        # "00:00" as end_time means the end of the day (OCPI: "To stop at end of the day use: 00:00")
        self.window_end = (_seconds_of_day(r.end_time) or 86400) if r.end_time else None
        self.days = frozenset(DAYS.index(d) for d in r.day_of_week) if r.day_of_week else None
        self.first_day = date.fromisoformat(r.start_date) if r.start_date else None
        self.last_day = date.fromisoformat(r.end_date) if r.end_date else None  # exclusive
        self.has_calendar = any(v is not None for v in (
            self.window_start, self.window_end, self.days, self.first_day, self.last_day))
        self.min_wh = Decimal(r.min_kwh) * 1000 if r.min_kwh is not None else None
        self.max_wh = Decimal(r.max_kwh) * 1000 if r.max_kwh is not None else None
        self.min_duration_us = r.min_duration * 1_000_000 if r.min_duration is not None else None
        self.max_duration_us = r.max_duration * 1_000_000 if r.max_duration is not None else None
        self.min_w = Decimal(r.min_power) * 1000 if r.min_power is not None else None
        self.max_w = Decimal(r.max_power) * 1000 if r.max_power is not None else None
        self.min_a = Decimal(r.min_current) if r.min_current is not None else None
        self.max_a = Decimal(r.max_current) if r.max_current is not None else None
        self.reservation = r.reservation
        self.unrestricted = not self.has_calendar and self.reservation is None and all(v is None for v in (
            self.min_wh, self.max_wh, self.min_duration_us, self.max_duration_us,
            self.min_w, self.max_w, self.min_a, self.max_a))
        self.label = describe(r)

    def calendar_holds(self, local: datetime) -> bool:
        """Time-of-day, day-of-week and date restrictions at one local wall-clock moment."""
        return self.calendar_holds_on(local.date(), local.hour * 3600 + local.minute * 60 + local.second)

    def calendar_holds_on(self, day: date, second: int) -> bool:
        """The same, given the local date and the second of the local day."""
        if self.days is not None and day.weekday() not in self.days:
            return False
        if self.first_day is not None and day < self.first_day:
            return False
        if self.last_day is not None and day >= self.last_day:
            return False
        if self.window_start is None and self.window_end is None:
            return True
        start = self.window_start if self.window_start is not None else 0
        end = self.window_end if self.window_end is not None else 86400
        if start < end:
            return start <= second < end
        return second >= start or second < end  # the window wraps past midnight

    def holds(self, phase: int, calendar_ok: bool, wh: Decimal, duration_us: int,
              low_w: Decimal | None, high_w: Decimal | None, low_a: Decimal | None, high_a: Decimal | None) -> bool:
        """All restrictions at one moment; power/current restrictions fail when the measure is unknown."""
        if self.unrestricted:
            return phase == SESSION
        if self.reservation is None:
            if phase != SESSION:
                return False
        elif phase == SESSION or (self.reservation == "RESERVATION_EXPIRES" and phase != RESERVATION_EXPIRED):
            return False
        if self.has_calendar and not calendar_ok:
            return False
        if self.min_wh is not None and wh < self.min_wh:
            return False
        if self.max_wh is not None and wh >= self.max_wh:
            return False
        if self.min_duration_us is not None and duration_us < self.min_duration_us:
            return False
        if self.max_duration_us is not None and duration_us >= self.max_duration_us:
            return False
        if self.min_w is not None and (low_w is None or low_w < self.min_w):
            return False
        if self.max_w is not None and (high_w is None or high_w >= self.max_w):
            return False
        if self.min_a is not None and (low_a is None or low_a < self.min_a):
            return False
        if self.max_a is not None and (high_a is None or high_a >= self.max_a):
            return False
        return True


def describe(r: TariffRestrictions) -> str:
    """Operator-readable text of the restrictions, e.g. "00:00–07:00, Mon–Fri, from 20 kWh"; "" when none."""
    parts = []
    if r.reservation:
        parts.append("Reservation expired" if r.reservation == "RESERVATION_EXPIRES" else "Reservation")
    if r.start_time or r.end_time:
        parts.append(f"{r.start_time or '00:00'}–{r.end_time or '00:00'}")
    if r.day_of_week:
        parts.append(_days_text(r.day_of_week))
    if r.start_date or r.end_date:
        parts.append(f"dates {r.start_date or '…'} to {r.end_date or '…'} (exclusive)")
    for low, high, unit, what in ((r.min_kwh, r.max_kwh, "kWh", ""), (r.min_power, r.max_power, "kW", "power "),
                                  (r.min_current, r.max_current, "A", "current ")):
        if low is not None and high is not None:
            parts.append(f"{what}{low}–{high} {unit}")
        elif low is not None:
            parts.append(f"{what}from {low} {unit}")
        elif high is not None:
            parts.append(f"{what}below {high} {unit}")
    if r.min_duration is not None or r.max_duration is not None:
        parts.append(_duration_text(r.min_duration, r.max_duration))
    return ", ".join(parts)


def _days_text(days: tuple[str, ...]) -> str:
    numbers = sorted({DAYS.index(d) for d in days})
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{_DAY_SHORT[numbers[0]]}–{_DAY_SHORT[numbers[-1]]}"
    return ", ".join(_DAY_SHORT[n] for n in numbers)


def _duration_text(low: int | None, high: int | None) -> str:
    def minutes(seconds: int) -> str:
        return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"

    if low and high is not None:
        return f"after {minutes(low)}, before {minutes(high)}"
    if low:
        return f"after {minutes(low)}"
    if high is not None:
        return f"first {minutes(high)}"
    return "from the start"
