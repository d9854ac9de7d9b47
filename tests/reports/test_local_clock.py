"""local_clock's integer arithmetic gives astimezone(zone).strftime's text, also across clock changes and in zones
whose historical offsets are not whole hours (an hour holding a transition is never remembered)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chargeledger.reports import local_clock
from chargeledger.reports.local_clock import epoch_microseconds, local_text

UTC = timezone.utc
ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns",
         "Pacific/Chatham", "UTC"]


def _instants():
    rnd = random.Random(7)
    # 1937 Amsterdam left +00:19:32 at a non-hour UTC instant; 1892 is LMT; the rest cover recent DST changes
    anchors = [datetime(1937, 6, 30, 22, 0, tzinfo=UTC), datetime(1892, 5, 1, tzinfo=UTC),
               datetime(1969, 12, 31, 23, 30, tzinfo=UTC), datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
               datetime(2024, 10, 27, 1, 0, tzinfo=UTC), datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
               datetime(2024, 4, 6, 15, 0, tzinfo=UTC), datetime(2024, 9, 28, 14, 0, tzinfo=UTC)]
    for anchor in anchors:
        for _ in range(300):
            yield anchor + timedelta(seconds=rnd.randrange(-7200, 7200), microseconds=rnd.randrange(1_000_000))


@pytest.mark.parametrize("time_format", ["%Y-%m-%d", "%Y-%m-%d-%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d-%H:%M%z"])
@pytest.mark.parametrize("zone", ZONES)
def test_local_text_is_astimezone_strftime(zone, time_format, monkeypatch):
    monkeypatch.setattr(local_clock, "_LIMIT", 3)  # the memories clear many times over
    text = local_text(ZoneInfo(zone), time_format)
    for moment in _instants():
        assert text(epoch_microseconds(moment)) == moment.astimezone(ZoneInfo(zone)).strftime(time_format)
    assert text(None) == ""


def test_naive_driver_times_are_utc_and_other_formats_are_declined():
    moment = datetime(2024, 3, 31, 0, 59, 59, 999_999, tzinfo=UTC)
    assert epoch_microseconds(moment.replace(tzinfo=None)) == epoch_microseconds(moment)
    assert epoch_microseconds(moment.astimezone(ZoneInfo("Asia/Kathmandu"))) == epoch_microseconds(moment)
    assert local_text(UTC, "%d/%m/%Y") is None
