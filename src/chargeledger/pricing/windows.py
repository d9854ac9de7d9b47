"""Local-time tariff windows turned into UTC instants: for one local day, where the calendar restrictions change.

Everything is in integer microseconds since the Unix epoch (UTC) so the hot path compares ints, not datetimes.
A day's segments are cached per (time zone, local date): a tariff is evaluated for many sessions on the same days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargeledger.pricing.restrictions import ElementRule

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = 1_000_000


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pricing needs aware UTC datetimes")
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def local_of(us: int, zone: tzinfo) -> datetime:
    return from_us(us).astimezone(zone)


def _local_to_us(zone: tzinfo, day: date, second: int, fold: int) -> int:
    wall = datetime.combine(day, time(second // 3600, second // 60 % 60), tzinfo=zone).replace(fold=fold)
    return to_us(wall)


def _offset_changes(zone: tzinfo, start: int, end: int) -> list[int]:
    """Instants in [start, end) where the UTC offset changes (DST), found by bisection to the second."""
    def offset(us: int):
        return local_of(us, zone).utcoffset()

    found = []
    if offset(start) != offset(end - 1):
        low, high = start, end - 1
        while high - low > _US:
            mid = (low + high) // 2 // _US * _US
            if mid <= low:
                break
            if offset(mid) == offset(low):
                low = mid
            else:
                high = mid
        found.append(high)
    return found


class DayCalendar:
    """For one local day: segment starts (µs, sorted) and per segment which elements' calendar restrictions hold."""

    __slots__ = ("starts", "masks", "end")

    def __init__(self, starts: list[int], masks: list[tuple[bool, ...]], end: int):
        self.starts = starts
        self.masks = masks
        self.end = end


def build_day(zone: tzinfo, day: date, rules: list[ElementRule], boundaries: list[int]) -> DayCalendar:
    """Segments of a local day: every window boundary (both folds when DST repeats an hour) and DST change."""
    day_start = _local_to_us(zone, day, 0, 0)
    next_start = _local_to_us(zone, day + timedelta(days=1), 0, 0)
    if next_start - day_start == 86400 * _US and local_of(day_start, zone).utcoffset() == local_of(
            next_start - 1, zone).utcoffset():
        # no DST change: a local second of the day is a fixed distance from local midnight (most days of any year)
        seconds = [0] + [s for s in boundaries if s > 0]
        starts = [day_start + s * _US for s in seconds]
        masks = [tuple(rule.calendar_holds_on(day, s) for rule in rules) for s in seconds]
        return DayCalendar(starts, masks, next_start)
    instants = {day_start}
    for second in boundaries:
        for fold in (0, 1):
            moment = _local_to_us(zone, day, second, fold)
            if day_start <= moment < next_start:
                instants.add(moment)
    instants.update(_offset_changes(zone, day_start, next_start))
    starts = sorted(instants)
    masks = []
    for us in starts:
        local = local_of(us, zone)
        masks.append(tuple(rule.calendar_holds(local) for rule in rules))
    return DayCalendar(starts, masks, next_start)
