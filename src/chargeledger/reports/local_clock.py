"""UTC instants (integer epoch microseconds) as text in one zone, without building datetimes per row.

A zone's UTC offset changes only at transitions, and every real zone's transitions fall on whole UTC hours or
half-hours in recent history, so the offset is remembered per UTC hour, verified at both ends of that hour: an
hour whose two ends disagree is never remembered and each instant in it asks the zone. The day and the clock
parts are remembered separately (by day number and by second of the day) and formatted by the same strftime.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Callable

_LIMIT = 50_000  # remembered hours and days; cleared when full, so memory stays flat
_DAY_FIRST = re.compile(r"^%Y-%m-%d((?:[^%]|%[HMS])*)(%z)?$")  # a trailing %z: the offset, as every CSV time has
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)


def epoch_microseconds(moment: datetime) -> int:
    """A driver's datetime as epoch microseconds; naive means UTC, as storage.tables.UtcDateTime reads it."""
    if moment.tzinfo is None:
        return (moment - _NAIVE_EPOCH) // MICROSECOND
    return (moment - _UTC_EPOCH) // MICROSECOND


def _offset_seconds(zone: tzinfo, second: int) -> int:
    moment = _UTC_EPOCH + timedelta(seconds=second)
    return int(moment.astimezone(zone).utcoffset().total_seconds())


def offset_text(seconds: int) -> str:
    """strftime's %z of a UTC offset in seconds: +HHMM, with SS only when there are any (old local mean times)."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def local_text(zone: tzinfo, time_format: str) -> Callable[[int | None], str] | None:
    """epoch µs -> the text `astimezone(zone).strftime(time_format)` gives; None when the format is not day-first."""
    match = _DAY_FIRST.match(time_format)
    if not match:
        return None
    clock_format, with_offset = match.group(1), match.group(2) is not None
    offset_texts: dict[int, str] = {}
    offsets: dict[int, int] = {}
    days: dict[int, str] = {}
    clocks: dict[int, str] = {}

    def offset(second: int) -> int:
        hour = second // 3600
        known = offsets.get(hour)
        if known is not None:
            return known
        first = _offset_seconds(zone, hour * 3600)
        if first != _offset_seconds(zone, hour * 3600 + 3599):  # a transition inside this hour: ask each time
            return _offset_seconds(zone, second)
        if len(offsets) >= _LIMIT:
            offsets.clear()
        offsets[hour] = first
        return first

    def text(micros: int | None) -> str:
        if micros is None:
            return ""
        second = micros // 1_000_000
        shift = offset(second)
        local = second + shift
        day_number, of_day = divmod(local, 86_400)
        day = days.get(day_number)
        if day is None:
            if len(days) >= _LIMIT:
                days.clear()
            day = days[day_number] = date.fromordinal(day_number + _EPOCH_ORDINAL).strftime("%Y-%m-%d")
        if clock_format:
            clock = clocks.get(of_day)
            if clock is None:  # at most 86,400 entries
                clock = clocks[of_day] = time(of_day // 3600, of_day % 3600 // 60, of_day % 60).strftime(clock_format)
            day += clock
        if with_offset:
            shown = offset_texts.get(shift)
            if shown is None:  # a zone has few offsets
                shown = offset_texts[shift] = offset_text(shift)
            day += shown
        return day
    return text
