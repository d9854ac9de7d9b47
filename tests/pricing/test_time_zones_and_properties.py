"""Daylight saving, windows across midnight, and properties that must hold for any session."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chargeledger.pricing import compile_tariff, price_cdr, price_usage
from tests.pricing.helpers import UTC, cdr, component, tariff, usage

NIGHT = tariff({"price_components": [component("TIME", "1")], "restrictions": {"start_time": "22:00",
                                                                               "end_time": "06:00"}},
               {"price_components": [component("TIME", "3")]})


def test_spring_forward_amsterdam_night_window_is_one_hour_shorter_in_utc():
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST; 22:00-06:00 local is 21:00Z..04:00Z = 7 h
    priced = price_usage(NIGHT, usage(datetime(2024, 3, 30, 20, 0, tzinfo=UTC), [(600, 10, True)]),
                         "Europe/Amsterdam")
    assert [(p.start.hour, p.time) for p in priced.periods] == [(20, 1), (21, 7), (4, 2)]


def test_autumn_back_amsterdam_night_window_is_one_hour_longer_in_utc():
    # 2024-10-27: 03:00 CEST falls back to 02:00 CET; 22:00-06:00 local is 20:00Z..05:00Z = 9 h
    priced = price_usage(NIGHT, usage(datetime(2024, 10, 26, 19, 0, tzinfo=UTC), [(720, 10, True)]),
                         "Europe/Amsterdam")
    assert [(p.start.hour, p.time) for p in priced.periods] == [(19, 1), (20, 9), (5, 2)]
    assert priced.totals.total_time_cost.excl_vat == Decimal(1 * 3 + 9 * 1 + 2 * 3)


def test_window_across_midnight_wraps_to_the_next_day():
    priced = price_cdr(NIGHT, cdr(datetime(2024, 1, 15, 23, 0, tzinfo=UTC), [
        (60, {"TIME": 1}), (360, {"TIME": 6}), (60, {"TIME": 1})]), "UTC")
    # 23:00 and 00:00 (next day) are inside 22:00-06:00; 06:00 is not (end_time exclusive)
    assert [line.unit_price for line in priced.lines] == [Decimal(1), Decimal(1), Decimal(3)]


WINDOWED = compile_tariff(tariff(
    {"price_components": [component("FLAT", "0.5", vat="21")]},
    {"price_components": [component("ENERGY", "0.2", 100, "21")], "restrictions": {"start_time": "23:00",
                                                                                  "end_time": "07:00"}},
    {"price_components": [component("ENERGY", "0.3", 100, "9"), component("PARKING_TIME", "6", 300)],
     "restrictions": {"min_duration": 3600}},
    {"price_components": [component("ENERGY", "0.4", 100), component("TIME", "1", 60, "21")]},
    min_price={"excl_vat": 1}, max_price={"excl_vat": 40, "incl_vat": 45}))

steps = st.lists(st.tuples(st.integers(1, 120), st.decimals("0", "20", places=3), st.booleans()),
                 min_size=1, max_size=8)
starts = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(starts, steps)
def test_invoice_lines_sum_to_totals_and_no_total_is_negative(start, session):
    priced = price_usage(WINDOWED, usage(start, session), "Europe/Amsterdam")
    lines = priced.lines
    t = priced.totals
    # lines sum to their period, periods to the total (same order as an invoice adds them)
    for period in priced.periods:
        assert sum((line.cost.excl_vat for line in period.lines), Decimal(0)) == period.cost.excl_vat
    excl = sum((period.cost.excl_vat for period in priced.periods), Decimal(0))
    assert excl + priced.min_price_adjustment.excl_vat + priced.max_price_adjustment.excl_vat == t.total_cost.excl_vat
    by_total = {}
    for line in lines:
        by_total[line.cdr_total] = by_total.get(line.cdr_total, Decimal(0)) + line.cost.incl_vat
    for name, value in by_total.items():
        assert getattr(t, name).incl_vat == value
    for name in t.__slots__:
        value = getattr(t, name)
        assert (value.excl_vat if hasattr(value, "excl_vat") else value) >= 0


@settings(max_examples=100, deadline=None)
@given(starts, st.integers(2, 50), st.integers(1, 49), st.decimals("0.001", "50", places=3))
def test_splitting_a_period_where_no_price_changes_keeps_the_price(start, tenths, cut, kwh):
    # durations in tenths of an hour and energy in Wh keep both halves exact decimals
    cut = min(cut, tenths - 1)
    t = tariff({"price_components": [component("ENERGY", "0.31", 1, "21"), component("TIME", "1.2", 1)]})
    whole = price_cdr(t, cdr(start, [(tenths * 6, {"ENERGY": kwh, "TIME": Decimal(tenths) / 10})]))
    share = (kwh * cut / tenths).quantize(Decimal("0.001"))
    split = price_cdr(t, cdr(start, [(cut * 6, {"ENERGY": share, "TIME": Decimal(cut) / 10}),
                                     ((tenths - cut) * 6, {"ENERGY": kwh - share,
                                                           "TIME": Decimal(tenths - cut) / 10})]))
    assert split.totals == whole.totals


@settings(max_examples=100, deadline=None)
@given(starts, st.decimals("0", "80", places=3), st.decimals("0", "20", places=3))
def test_energy_only_price_never_falls_when_energy_rises(start, kwh, more):
    t = tariff({"price_components": [component("ENERGY", "0.25", 500, "21")]},
               min_price={"excl_vat": 2}, max_price={"excl_vat": 15})
    low = price_usage(t, usage(start, [(60, kwh, True)]), "Europe/Amsterdam").totals.total_cost
    high = price_usage(t, usage(start, [(60, kwh + more, True)]), "Europe/Amsterdam").totals.total_cost
    assert high.excl_vat >= low.excl_vat and high.incl_vat >= low.incl_vat


def test_idle_samples_only_session_prices_flat_and_min_price():
    priced = price_usage(WINDOWED, usage(datetime(2024, 5, 1, 12, tzinfo=UTC), [(30, 0, False)]),
                         "Europe/Amsterdam")
    assert priced.totals.total_cost.excl_vat == Decimal(1)
    assert priced.periods[0].end - priced.periods[0].start == timedelta(minutes=30)
