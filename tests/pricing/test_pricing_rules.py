"""One named test per pricing rule of PRODUCT.md (section Pricing)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from chargeledger.pricing import CdrError, Reservation, price_cdr, price_usage
from tests.pricing.helpers import UTC, cdr, charging_cdr, component, tariff, usage

MONDAY_10 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_first_matching_element_in_list_order_wins_per_dimension():
    t = tariff({"price_components": [component("ENERGY", "0.30")], "restrictions": {"max_power": 50}},
               {"price_components": [component("ENERGY", "0.10")]})
    priced = price_cdr(t, cdr(MONDAY_10, [(60, {"ENERGY": 10, "MAX_POWER": 22})]))
    assert priced.totals.total_energy_cost.excl_vat == Decimal("3.00")


def test_no_matching_element_means_the_dimension_is_free():
    t = tariff({"price_components": [component("TIME", "2")], "restrictions": {"day_of_week": ["SUNDAY"]}},
               {"price_components": [component("ENERGY", "0.25")]})
    totals = price_cdr(t, charging_cdr(MONDAY_10, 60, energy_kwh=10)).totals
    assert (totals.total_time_cost.excl_vat, totals.total_energy_cost.excl_vat) == (0, Decimal("2.50"))


def test_restrictions_are_evaluated_in_the_location_time_zone():
    # 06:30 UTC is 07:30 in Amsterdam (winter): the 07:00-23:00 peak rate applies there, not in UTC
    t = tariff({"price_components": [component("ENERGY", "0.40")], "restrictions": {"start_time": "07:00",
                                                                                    "end_time": "23:00"}},
               {"price_components": [component("ENERGY", "0.20")]})
    c = cdr(datetime(2024, 1, 15, 6, 30, tzinfo=UTC), [(10, {"ENERGY": 1})])
    assert price_cdr(t, c, "UTC").totals.total_cost.excl_vat == Decimal("0.20")
    assert price_cdr(t, c, "Europe/Amsterdam").totals.total_cost.excl_vat == Decimal("0.40")


def test_new_period_starts_at_every_change_of_active_component_kwh_threshold_mid_interval():
    t = tariff({"price_components": [component("ENERGY", "0.20")], "restrictions": {"max_kwh": 5}},
               {"price_components": [component("ENERGY", "0.50")]})
    priced = price_usage(t, usage(MONDAY_10, [(60, 10, True)]), "UTC")
    assert [p.energy for p in priced.periods] == [Decimal(5), Decimal(5)]
    assert priced.periods[1].start == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)  # crossing interpolated
    assert priced.totals.total_energy_cost.excl_vat == Decimal("3.50")


def test_new_period_starts_at_duration_threshold_and_power_change():
    t = tariff({"price_components": [component("TIME", "1")], "restrictions": {"max_duration": 1800}},
               {"price_components": [component("TIME", "3")]})
    priced = price_usage(t, usage(MONDAY_10, [(60, 10, True)]), "UTC")
    assert [p.time for p in priced.periods] == [Decimal("0.5"), Decimal("0.5")]
    assert priced.totals.total_time_cost.excl_vat == Decimal("2")


def test_time_is_charging_time_and_parking_time_is_idle_after_charging_started():
    t = tariff({"price_components": [component("TIME", "2"), component("PARKING_TIME", "6")]})
    # 15 min waiting before charging (neither), 30 min charging, 20 min idle
    priced = price_usage(t, usage(MONDAY_10, [(15, 0, False), (30, 5, True), (20, 0, False)]), "UTC")
    assert [p.kind for p in priced.periods] == ["WAITING", "CHARGING", "PARKING"]
    assert priced.totals.total_time_cost.excl_vat == Decimal("1")
    assert priced.totals.total_parking_cost.excl_vat == Decimal("2")
    assert priced.totals.total_time == Decimal("65") / 60


def test_step_size_rounds_once_on_session_total_with_last_component_step():
    t = tariff({"price_components": [component("ENERGY", "1", 1000)], "restrictions": {"end_time": "11:00"}},
               {"price_components": [component("ENERGY", "2", 500)]})
    priced = price_cdr(t, cdr(MONDAY_10, [(60, {"ENERGY": Decimal("1.3")}), (30, {"ENERGY": Decimal("1.3")})]))
    # 2.6 kWh -> 3.0 kWh with the last step (500 Wh); the extra 0.4 kWh is billed at the last rate
    assert priced.totals.total_energy_cost.excl_vat == Decimal("1.3") + Decimal("1.7") * 2


def test_time_is_not_step_rounded_when_parking_was_priced():
    t = tariff({"price_components": [component("TIME", "6", 900), component("PARKING_TIME", "6", 900)]})
    priced = price_cdr(t, charging_cdr(MONDAY_10, 10, 5))
    assert priced.totals.total_time_cost.excl_vat == Decimal("1")  # 10 min, not 15
    assert priced.totals.total_parking_cost.excl_vat == Decimal("1.5")  # 5 -> 15 min


def test_flat_is_charged_once_the_first_time_an_element_carrying_it_is_active():
    t = tariff({"price_components": [component("FLAT", "1"), component("ENERGY", "0")],
                "restrictions": {"min_kwh": 5}})
    priced = price_usage(t, usage(MONDAY_10, [(30, 4, True), (30, 4, True), (30, 4, True)]), "UTC")
    flats = [(i, line) for i, p in enumerate(priced.periods) for line in p.lines if line.dimension == "FLAT"]
    assert len(flats) == 1 and flats[0][0] == 1  # in the period starting at 5 kWh
    assert priced.totals.total_fixed_cost.excl_vat == Decimal("1")


def test_min_price_applies_excl_and_incl_independently():
    t = tariff({"price_components": [component("ENERGY", "0.25", vat="10")]},
               min_price={"excl_vat": 0.5, "incl_vat": 0.6})
    priced = price_cdr(t, charging_cdr(MONDAY_10, 60, energy_kwh=1))
    assert (priced.totals.total_cost.excl_vat, priced.totals.total_cost.incl_vat) == (Decimal("0.5"), Decimal("0.6"))
    assert priced.min_price_adjustment.excl_vat == Decimal("0.25")


def test_max_price_caps_excl_and_incl_independently():
    t = tariff({"price_components": [component("ENERGY", "1", vat="20")]}, max_price={"excl_vat": 10,
                                                                                   "incl_vat": 11})
    priced = price_cdr(t, charging_cdr(MONDAY_10, 60, energy_kwh=9.5))
    assert (priced.totals.total_cost.excl_vat, priced.totals.total_cost.incl_vat) == (Decimal("9.5"), Decimal("11"))
    assert priced.max_price_adjustment.incl_vat == Decimal("-0.4")


def test_vat_is_per_price_component_and_missing_vat_is_not_zero_percent():
    t = tariff({"price_components": [component("ENERGY", "1", vat="21"), component("TIME", "1")]})
    priced = price_cdr(t, charging_cdr(MONDAY_10, 60, energy_kwh=1))
    lines = {line.dimension: line for line in priced.lines}
    assert lines["ENERGY"].vat == Decimal("21.0") and lines["TIME"].vat is None
    assert priced.totals.total_cost.incl_vat == Decimal("2.21")


def test_full_precision_is_kept_and_ocpi_fields_are_quantized_to_4_decimals():
    t = tariff({"price_components": [component("TIME", "1")]})
    priced = price_cdr(t, cdr(MONDAY_10, [(20, {"TIME": Decimal(1) / 3})]))
    assert priced.totals.total_cost.excl_vat == Decimal(1) / 3
    assert str(priced.totals.to_ocpi()["total_cost"]["excl_vat"]) == "0.3333"


def test_reservation_time_and_flat_go_to_total_reservation_cost():
    t = tariff({"price_components": [component("FLAT", "2"), component("TIME", "6", 300)],
                "restrictions": {"reservation": "RESERVATION"}},
               {"price_components": [component("ENERGY", "0.25")]})
    u = usage(MONDAY_10, [(60, 10, True)], reservation=Reservation(
        datetime(2024, 1, 15, 9, 47, tzinfo=UTC), MONDAY_10))
    totals = price_usage(t, u, "UTC").totals
    assert totals.total_reservation_cost.excl_vat == Decimal("2") + Decimal("1.5")  # 13 -> 15 min at 6/h
    assert totals.total_energy_cost.excl_vat == Decimal("2.5")


@pytest.mark.parametrize("periods, path, reason", [
    ([(10, {"ENERGY": 1}), (0, {"ENERGY": 1}), (5, {"ENERGY": 1})], "charging_periods[2].start_date_time", "overlap"),
    ([(10, {})], "charging_periods[0].dimensions", "at least one dimension"),
])
def test_cdr_refused_when_periods_overlap_or_lack_dimensions(periods, path, reason):
    with pytest.raises(CdrError) as refused:
        price_cdr(tariff({"price_components": [component("ENERGY", "1")]}), cdr(MONDAY_10, periods))
    assert refused.value.field_path == path and reason in refused.value.reason


def test_cdr_refused_when_periods_run_backwards():
    c = cdr(MONDAY_10, [(10, {"ENERGY": 1}), (10, {"ENERGY": 1})])
    c["charging_periods"].reverse()
    c["start_date_time"] = c["charging_periods"][1]["start_date_time"]
    with pytest.raises(CdrError) as refused:
        price_cdr(tariff({"price_components": [component("ENERGY", "1")]}), c)
    assert refused.value.field_path == "charging_periods[1].start_date_time"
    assert "backwards" in refused.value.reason
