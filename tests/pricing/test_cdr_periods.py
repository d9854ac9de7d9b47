"""charging_periods_to_ocpi: a CDR we issue from a priced session re-prices with price_cdr to the same totals."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chargeledger.pricing import PricedSession, Reservation, Usage, UsagePoint, price_cdr, price_usage
from chargeledger.pricing.cdr_periods import charging_periods_to_ocpi, ocpi_datetime
from tests.pricing.helpers import UTC, component, tariff, usage

ZONE = "Europe/Amsterdam"
TIME_OF_DAY = tariff(
    {"price_components": [component("FLAT", "0.35", vat="21")]},
    {"price_components": [component("ENERGY", "0.22", 100, "21")], "restrictions": {"start_time": "23:00",
                                                                                   "end_time": "07:00"}},
    {"price_components": [component("ENERGY", "0.29", 100, "21")], "restrictions": {"max_power": 11}},
    {"price_components": [component("ENERGY", "0.39", 100, "21"), component("PARKING_TIME", "6", 300, "21")],
     "restrictions": {"min_duration": 10800}},
    {"price_components": [component("ENERGY", "0.39", 100, "21"), component("TIME", "0.6", 60, "21")]},
    min_price={"excl_vat": 1, "incl_vat": 1.21}, max_price={"excl_vat": 60, "incl_vat": 72.6})
THRESHOLDS = tariff(
    {"price_components": [component("FLAT", "2"), component("TIME", "3", 300)],
     "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [component("ENERGY", "0.1", 1)], "restrictions": {"min_kwh": 5, "max_kwh": 12.5}},
    {"price_components": [component("ENERGY", "0.5", 1, "9")],
     "restrictions": {"min_current": 16, "max_current": 32, "day_of_week": ["SATURDAY", "SUNDAY"]}},
    {"price_components": [component("TIME", "1.7", 1, "9"), component("ENERGY", "0.33", 10)],
     "restrictions": {"min_power": 3.7, "max_power": 20, "max_duration": 5400}},
    {"price_components": [component("PARKING_TIME", "1.2", 60), component("ENERGY", "0.41", 1, "21"),
                          component("TIME", "0.8", 1, "21")]},
    min_price={"excl_vat": 2, "incl_vat": 2.5})
SIMPLE = tariff({"price_components": [component("ENERGY", "0.31", 1, "21"), component("TIME", "1.2", 60),
                                      component("PARKING_TIME", "2", 900)]})
TARIFFS = {"time_of_day": TIME_OF_DAY, "thresholds": THRESHOLDS, "simple": SIMPLE}


def issued_cdr(priced: PricedSession, u: Usage) -> dict:
    """The CDR we would send: it starts at the reservation when there is one (OCPI CDR start_date_time)."""
    start = u.reservation.start if u.reservation is not None else u.start
    return {"start_date_time": ocpi_datetime(start), "end_date_time": ocpi_datetime(u.end),
            "charging_periods": charging_periods_to_ocpi(priced, "T1")}


def assert_same_totals(again: PricedSession, priced: PricedSession) -> None:
    assert again.totals.to_ocpi() == priced.totals.to_ocpi()
    assert again.min_price_adjustment.to_ocpi() == priced.min_price_adjustment.to_ocpi()
    assert again.max_price_adjustment.to_ocpi() == priced.max_price_adjustment.to_ocpi()
    assert again.step_rounded == priced.step_rounded


def test_periods_carry_the_ocpi_dimensions_and_tariff_id():
    start = datetime(2024, 1, 15, 21, 30, tzinfo=UTC)  # 22:30 local: the 23:00 window starts after 30 min
    u = usage(start, [(60, 11, True), (200, 0, False)], power_w=7400)
    periods = charging_periods_to_ocpi(price_usage(TIME_OF_DAY, u, ZONE), tariff_id="T1")
    assert [p["start_date_time"] for p in periods] == ["2024-01-15T21:30:00Z", "2024-01-15T22:00:00Z",
                                                       "2024-01-15T22:30:00Z", "2024-01-16T00:30:00Z"]
    first = {d["type"]: d["volume"] for d in periods[0]["dimensions"]}
    assert first == {"ENERGY": Decimal("5.5"), "TIME": Decimal("0.5"), "MIN_POWER": Decimal("7.4"),
                     "MAX_POWER": Decimal("7.4")}
    idle = {d["type"]: d["volume"] for d in periods[-1]["dimensions"]}
    assert idle["PARKING_TIME"] == Decimal(80) / 60 and "ENERGY" not in idle and "TIME" not in idle
    assert {p["tariff_id"] for p in periods} == {"T1"}
    assert "tariff_id" not in charging_periods_to_ocpi(price_usage(TIME_OF_DAY, u, ZONE))[0]


def test_periods_are_plain_json_with_decimal_numbers():
    u = usage(datetime(2024, 6, 1, 8, 0, 0, 250_000, tzinfo=UTC), [(45, 9.5, True), (30, 0, False)], power_w=11000)
    periods = charging_periods_to_ocpi(price_usage(SIMPLE, u, ZONE))
    assert periods[0]["start_date_time"] == "2024-06-01T08:00:00.250000Z"
    json.dumps(periods, default=str)  # Decimal volumes; the OCPI writer serialises them as numbers


@pytest.mark.parametrize("name", sorted(TARIFFS))
def test_a_charging_then_idle_session_across_a_window_round_trips(name):
    start = datetime(2024, 3, 9, 20, 10, tzinfo=UTC)  # Saturday evening, crossing 23:00 local
    samples = (UsagePoint(start, Decimal(0), Decimal(22000), Decimal(32)),
               UsagePoint(start + timedelta(minutes=50), Decimal(18000), Decimal(7400), Decimal(16)),
               UsagePoint(start + timedelta(minutes=170), Decimal(32000), Decimal(3000), Decimal(8)),
               UsagePoint(start + timedelta(minutes=200), Decimal(33000), Decimal(0), None, False))
    u = Usage(start, start + timedelta(hours=5), samples)
    priced = price_usage(TARIFFS[name], u, ZONE)
    assert_same_totals(price_cdr(TARIFFS[name], issued_cdr(priced, u), ZONE), priced)


def test_a_reserved_session_round_trips_with_its_reservation_time():
    start = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    u = usage(start, [(60, 10, True)], power_w=7400,
              reservation=Reservation(start - timedelta(minutes=13), start))
    priced = price_usage(THRESHOLDS, u, ZONE)
    assert priced.totals.total_reservation_cost.excl_vat == Decimal("2.75")  # FLAT 2 + 13 -> 15 min at 3/h
    again = price_cdr(THRESHOLDS, issued_cdr(priced, u), ZONE)
    assert_same_totals(again, priced)


steps = st.lists(st.tuples(st.integers(1, 90), st.decimals("0", "20", places=3), st.booleans()),
                 min_size=1, max_size=8)
starts = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))
powers = st.sampled_from([None, 3000, 3700, 7400, 11000, 22000])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(TARIFFS)), starts, steps, powers, st.integers(0, 120))
def test_any_issued_cdr_reprices_to_the_same_totals(name, start, session, power, idle_min):
    minutes = sum(m for m, _, _ in session)
    u = usage(start, session, power_w=power, end_after_min=minutes + idle_min)
    priced = price_usage(TARIFFS[name], u, ZONE)
    assert_same_totals(price_cdr(TARIFFS[name], issued_cdr(priced, u), ZONE), priced)
