"""The OCPI 2.2.1 specification's own worked examples (data/ocpi_spec_worked_examples/cases.json).

The spec prints cent figures; we compare our 4-decimal total rounded half-up to cents. Scenarios are prose in the
spec, so each is restated here as a CDR (the quantities the prose gives) on a date with the weekday it names.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from chargeledger.pricing import Tariff, price_cdr
from chargeledger.pricing.result import quantize
from tests.pricing.helpers import DATA, UTC, cdr, cents, charging_cdr, component, load_json, tariff

FOLDER = DATA / "ocpi_spec_worked_examples"
CASES = {c["id"]: c for c in load_json(FOLDER / "cases.json")["cases"]}
MONDAY = datetime(2024, 1, 15, tzinfo=UTC)
SATURDAY = datetime(2024, 1, 20, tzinfo=UTC)


def _tariff(case_id: str) -> Tariff:
    return Tariff.from_ocpi(load_json(FOLDER / "tariffs" / CASES[case_id]["tariff"]))


def _at(day: datetime, hhmm: str) -> datetime:
    return day.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))


SCENARIOS = {
    "simple_025kwh": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=20),
    "025kwh_start_fee": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=20),
    "min_price_20kwh": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=20),
    "min_price_below_2kwh": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=1.2),
    "parking_start_fee": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, 40, energy_kwh=20),
    "max_price_50kwh": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=50),
    "max_price_30kwh": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=30),
    "time_2_per_hour": lambda: charging_cdr(_at(MONDAY, "10:00"), 150),
    "time_3_parking_5": lambda: charging_cdr(_at(MONDAY, "10:00"), 150, 42),
    "alt_text_190_per_hour": lambda: charging_cdr(_at(MONDAY, "10:00"), 150),
    "alt_url_20_45kwh_step100": lambda: charging_cdr(_at(MONDAY, "10:00"), 60, energy_kwh=20.45),
    "complex_monday": lambda: charging_cdr(_at(MONDAY, "09:30"), 165, 42, MAX_CURRENT=16),
    "complex_saturday": lambda: charging_cdr(_at(SATURDAY, "13:30"), 114, 71, MIN_CURRENT=43),
    "reservation_5_per_hour": lambda: cdr(_at(MONDAY, "10:00"), [
        (15, {"RESERVATION_TIME": Decimal(15) / 60}), (60, {"TIME": 1, "ENERGY": 20})]),
    "reservation_fee_2_plus_5_per_hour": lambda: cdr(_at(MONDAY, "10:00"), [
        (13, {"RESERVATION_TIME": Decimal(13) / 60}), (60, {"TIME": 1, "ENERGY": 20})]),
    "reservation_with_expire_fee_used": lambda: cdr(_at(MONDAY, "10:00"), [
        (22, {"RESERVATION_TIME": Decimal(22) / 60}), (60, {"TIME": 1, "ENERGY": 20})]),
    "reservation_with_expire_fee_expired": lambda: cdr(_at(MONDAY, "10:00"), [(60, {"RESERVATION_TIME": 1})]),
    "reservation_with_expire_time_used": lambda: cdr(_at(MONDAY, "10:00"), [
        (22, {"RESERVATION_TIME": Decimal(22) / 60}), (60, {"TIME": 1, "ENERGY": 20})]),
    "reservation_with_expire_time_expired": lambda: cdr(_at(MONDAY, "10:00"), [(90, {"RESERVATION_TIME": 1.5})]),
    "step_switch_1": lambda: cdr(_at(MONDAY, "16:55"), [
        (5, {"TIME": Decimal(5) / 60}), (5, {"TIME": Decimal(5) / 60}), (2, {"PARKING_TIME": Decimal(2) / 60})]),
    "step_switch_2": lambda: cdr(_at(MONDAY, "16:35"), [
        (25, {"TIME": Decimal(25) / 60}), (10, {"TIME": Decimal(10) / 60})]),
    "step_switch_free_parking": lambda: cdr(_at(MONDAY, "19:40"), [
        (12, {"TIME": Decimal(12) / 60}), (8, {"PARKING_TIME": Decimal(8) / 60}),
        (12, {"PARKING_TIME": Decimal(12) / 60})]),
    "max_power_restriction": lambda: cdr(_at(MONDAY, "10:00"), [
        (10, {"ENERGY": 1, "MAX_POWER": 6}), (50, {"ENERGY": 40, "MAX_POWER": 48}),
        (8, {"ENERGY": 0.5, "MAX_POWER": 4})]),
    "max_duration_restriction": lambda: cdr(_at(MONDAY, "10:00"), [
        (30, {"ENERGY": 5}), (10, {"ENERGY": 1.2})]),
}
# printed figures a correct engine cannot reproduce (listed in cases.json and PRODUCT.md)
SPEC_ERRORS = {
    # 114 min x 1.25/h = 2.375, not the printed 2.28, so the total is 12.375 excl / 13.975 incl, not 12.28 / 13.861
    "complex_saturday": {"excl": "12.38", "incl": "13.98"},
}


def test_every_printed_cent_example_has_a_scenario():
    printed = {k for k, c in CASES.items() if "excl" in c["expected"] and c["tariff"].endswith(".json")
               and not c["tariff"].startswith("embedded")}  # cdr_example has its own test below
    assert printed == set(SCENARIOS)


@pytest.mark.parametrize("case_id", sorted(SCENARIOS))
def test_spec_worked_example_total(case_id):
    expected = SPEC_ERRORS.get(case_id, CASES[case_id]["expected"])
    total = price_cdr(_tariff(case_id), SCENARIOS[case_id](), "UTC").totals.total_cost
    assert cents(total.excl_vat) == Decimal(expected["excl"])
    if "incl" in expected:
        assert cents(total.incl_vat) == Decimal(expected["incl"])


def test_complex_saturday_exact_figure_is_the_corrected_one():
    total = price_cdr(_tariff("complex_saturday"), SCENARIOS["complex_saturday"](), "UTC").totals.total_cost
    assert (total.excl_vat, total.incl_vat) == (Decimal("12.375"), Decimal("13.975"))


def test_alt_url_step_example_uses_its_own_step_size_not_the_2_3_0_printed_5_61():
    # OCPI 2.3.0 prints 5.61 excl, ignoring the tariff's step_size=100 Wh; 20.45 kWh bills as 20.5 kWh: 5.625
    total = price_cdr(_tariff("alt_url_20_45kwh_step100"), SCENARIOS["alt_url_20_45kwh_step100"](), "UTC")
    assert total.totals.total_cost.excl_vat == Decimal("5.625")
    assert total.totals.total_energy_cost.excl_vat == Decimal("5.125")


def test_cdr_example_time_step_300_rounds_7103_s_to_7200_s():
    example = load_json(FOLDER / "tariffs" / "cdr_example.json")
    embedded = Tariff.from_ocpi(example["tariffs"][0])
    totals = price_cdr(embedded, example, "UTC").totals.to_ocpi()
    assert totals["total_cost"] == {"excl_vat": Decimal("4.0000"), "incl_vat": Decimal("4.4000")}
    assert totals["total_time_cost"] == example["total_time_cost"]


def _two_rate_tariff(kind: str, before: str, after: str, step: int, parking: tuple[str, int] | None = None):
    elements = [{"price_components": [component(kind, before, step)], "restrictions": {"end_time": "17:00"}},
                {"price_components": [component(kind, after, step)], "restrictions": {"start_time": "17:00"}}]
    if parking:
        elements.append({"price_components": [component("PARKING_TIME", parking[0], parking[1])]})
    return tariff(*elements)


def test_cdrs_step_energy_total_rounds_the_session_total_not_the_last_period():
    t = _two_rate_tariff("ENERGY", "0.20", "0.27", 500)
    priced = price_cdr(t, cdr(_at(MONDAY, "16:00"), [(60, {"ENERGY": 4.3}), (30, {"ENERGY": 1.1})]), "UTC")
    last = priced.periods[-1].lines[0]
    assert last.billed_volume == Decimal("1.2")  # 5.4 -> 5.5 kWh in total
    assert priced.totals.total_cost.excl_vat == Decimal("1.184")


def test_cdrs_step_time_total_bills_24_minutes_after_17():
    t = _two_rate_tariff("TIME", "5", "7", 600)
    priced = price_cdr(t, cdr(_at(MONDAY, "16:54"), [(6, {"TIME": Decimal(6) / 60}),
                                                    (22, {"TIME": Decimal(22) / 60})]), "UTC")
    assert priced.periods[-1].lines[0].billed_volume * 60 == Decimal(24)
    assert priced.totals.total_cost.excl_vat == Decimal("3.30")


@pytest.mark.parametrize("charging_min, parking_min, billed_parking_min, excl", [
    (21, 7, 10, None),  # mod_cdrs: step 5 min both; charging 21 stays 21, parking 7 -> 10
    (21, 16, 20, "1.0167"),  # mod_cdrs: TIME 1/h, PARKING 2/h, step 10 min: 0.35 + 0.6667
])
def test_cdrs_step_time_then_parking_rounds_parking_only(charging_min, parking_min, billed_parking_min, excl):
    step = 300 if excl is None else 600
    t = tariff({"price_components": [component("TIME", "1", step), component("PARKING_TIME", "2", step)]})
    priced = price_cdr(t, charging_cdr(_at(MONDAY, "10:00"), charging_min, parking_min), "UTC")
    time_line, parking_line = priced.periods[0].lines[0], priced.periods[1].lines[0]
    assert time_line.billed_volume * 60 == charging_min
    assert parking_line.billed_volume * 60 == billed_parking_min
    if excl:
        assert quantize(priced.totals.total_cost.excl_vat) == Decimal(excl)


@pytest.mark.parametrize("step, cost", [(1, "0.029"), (25, "0.03125"), (500, "0.125")])
def test_tariffs_step_energy_note_115_2_wh(step, cost):
    t = tariff({"price_components": [component("ENERGY", "0.25", step)]})
    priced = price_cdr(t, charging_cdr(_at(MONDAY, "10:00"), 10, energy_kwh=0.1152), "UTC")
    assert priced.totals.total_energy_cost.excl_vat == Decimal(cost)
