"""PricedSession builds its periods on first read and otherwise behaves as the frozen value it always was."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError
from datetime import datetime

import pytest

from chargeledger.pricing import price_usage
from tests.pricing.helpers import UTC, component, tariff, usage

T = tariff({"price_components": [component("ENERGY", "0.3", 100, "21"), component("TIME", "1", 60)]})
U = usage(datetime(2024, 5, 1, 12, tzinfo=UTC), [(30, 5, True), (15, 0, False)], power_w=11000)


def test_periods_are_built_once_and_equal_sessions_compare_equal():
    priced = price_usage(T, U, "UTC")
    assert priced.periods is priced.periods
    again = price_usage(T, U, "UTC")
    assert again == priced and hash(again) == hash(priced)
    assert "PricedSession(currency='EUR', periods=(PricedPeriod(" in repr(priced)


def test_a_priced_session_pickles_with_its_periods_and_stays_frozen():
    priced = price_usage(T, U, "UTC")
    copy = pickle.loads(pickle.dumps(priced))
    assert copy == priced and copy.lines == priced.lines
    with pytest.raises(FrozenInstanceError):
        priced.totals = None
