"""The compiled per-kind text functions give exactly cells.as_text, also for values met twice or signed zeros."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chargeledger.reports.cells import as_text
from chargeledger.reports.columns import Column, Kind
from chargeledger.reports.fast_text import text_function

AMS = ZoneInfo("Europe/Amsterdam")
VALUES = {
    Kind.TEXT: [None, "", "-", "-2+3", "=SUM(A1)", "@x", "\tx", "plain", 42, "-"],
    Kind.MONEY: [None, Decimal("3.63"), Decimal("3.630000"), Decimal("1.2345"), Decimal("-0"), Decimal("0"),
                 Decimal("-1.50"), 3.63, Decimal("3.63"), Decimal("0.005"), Decimal("-0.00")],
    Kind.DECIMAL: [None, Decimal("12.3455"), Decimal("-0.0001"), Decimal("0"), Decimal("1.08"), 2, Decimal("12.3455")],
    Kind.INTEGER: [None, 0, 12345, 12345.0, -3],
    Kind.DURATION: [None, timedelta(0), timedelta(seconds=5400), timedelta(seconds=-61), timedelta(seconds=5400)],
    Kind.DATETIME: [None, datetime(2024, 3, 31, 0, 30, tzinfo=timezone.utc).astimezone(AMS),
                    datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc).astimezone(AMS),
                    datetime(2024, 10, 27, 1, 30, tzinfo=timezone.utc).astimezone(AMS),
                    datetime(999, 1, 2, 3, 4, 5), "not a time"],
}
FORMATS = ["%Y-%m-%d", "%Y-%m-%d-%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %%H"]


@pytest.mark.parametrize("kind", [k for k in VALUES if k is not Kind.DATETIME])
def test_each_kind_matches_as_text(kind):
    column = Column("c", kind, lambda r, c: None, places=4 if kind is Kind.DECIMAL else 2)
    text = text_function(column)
    assert [text(v) for v in VALUES[kind]] == [as_text(column, v) for v in VALUES[kind]]


@pytest.mark.parametrize("time_format", FORMATS)
def test_times_match_strftime_in_every_format(time_format):
    column = Column("t", Kind.DATETIME, lambda r, c: None, time_format=time_format)
    text = text_function(column)
    values = VALUES[Kind.DATETIME] * 2  # the second pass reads the remembered day and clock parts
    assert [text(v) for v in values] == [as_text(column, v) for v in values]


def test_signed_zero_is_not_taken_from_the_memory():
    column = Column("m", Kind.MONEY, lambda r, c: None)
    text = text_function(column)
    assert [text(Decimal("0")), text(Decimal("-0")), text(Decimal("0"))] == ["0.00", "-0.00", "0.00"]
