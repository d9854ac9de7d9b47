"""Tariff parsing: exact round trip, and every refusal names the field path and the reason."""

from __future__ import annotations

import copy
import json

import pytest

from chargeledger.pricing import Tariff, TariffError, ocpi_json
from tests.pricing.helpers import DATA, load_json

TARIFF_FILES = sorted(DATA.glob("tandemdrive/*/tariff.json")) + sorted(DATA.glob("ocpi_spec_worked_examples/tariffs/tariff*.json"))


@pytest.mark.parametrize("path", TARIFF_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tariff_round_trip_preserves_every_field(path):
    raw = load_json(path)
    tariff = Tariff.from_ocpi(raw)
    assert tariff.to_ocpi() == raw
    assert ocpi_json.loads(tariff.to_json()) == raw
    assert json.loads(tariff.to_json()).keys() == raw.keys()


def test_round_trip_keeps_the_digits_of_money():
    tariff = Tariff.from_json('{"id": "x", "currency": "EUR", "elements": [{"price_components": '
                              '[{"type": "ENERGY", "price": 0.250, "vat": 21.0, "step_size": 1}]}]}')
    assert '"price": 0.250' in tariff.to_json(indent=None)


BASE = {"id": "T", "currency": "EUR", "elements": [{"price_components": [
    {"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}], "restrictions": {"start_time": "07:00"}}]}


def _with(change) -> dict:
    obj = ocpi_json.loads(json.dumps(BASE))
    change(obj)
    return obj


def _restr(**values):
    return lambda o: o["elements"][0]["restrictions"].update(ocpi_json.loads(json.dumps(values)))


def _comp(**values):
    return lambda o: o["elements"][0]["price_components"][0].update(ocpi_json.loads(json.dumps(values)))


REFUSALS = [
    ("unknown_currency", lambda o: o.update(currency="EUX"), "currency", "unknown currency"),
    ("lower_case_currency", lambda o: o.update(currency="eur"), "currency", "unknown currency"),
    ("missing_currency", lambda o: o.pop("currency"), "currency", "required"),
    ("missing_elements", lambda o: o.pop("elements"), "elements", "required"),
    ("empty_elements", lambda o: o.update(elements=[]), "elements", "required"),
    ("missing_price_components", lambda o: o["elements"][0].pop("price_components"),
     "elements[0].price_components", "required"),
    ("negative_price", _comp(price=-0.01), "elements[0].price_components[0].price", "negative"),
    ("negative_vat", _comp(vat=-1), "elements[0].price_components[0].vat", "negative"),
    ("zero_step_size", _comp(step_size=0), "elements[0].price_components[0].step_size", "must be > 0"),
    ("negative_step_size", _comp(step_size=-5), "elements[0].price_components[0].step_size", "must be > 0"),
    ("missing_step_size", lambda o: o["elements"][0]["price_components"][0].pop("step_size"),
     "elements[0].price_components[0].step_size", "required"),
    ("unknown_dimension", _comp(type="KWH"), "elements[0].price_components[0].type", "unknown value"),
    ("bad_time_format", _restr(start_time="7:00"), "elements[0].restrictions.start_time", "HH:MM"),
    ("hour_24", _restr(end_time="24:00"), "elements[0].restrictions.end_time", "HH:MM"),
    ("equal_times", _restr(start_time="07:00", end_time="07:00"), "elements[0].restrictions.end_time", "empty"),
    ("bad_date", _restr(start_date="2024-02-30"), "elements[0].restrictions.start_date", "no such day"),
    ("end_date_before_start", _restr(start_date="2024-03-02", end_date="2024-03-01"),
     "elements[0].restrictions.end_date", "not after start_date"),
    ("min_kwh_above_max", _restr(min_kwh=20, max_kwh=10), "elements[0].restrictions.max_kwh", "never apply"),
    ("min_current_above_max", _restr(min_current=32, max_current=16), "elements[0].restrictions.max_current",
     "never apply"),
    ("min_power_above_max", _restr(min_power=50, max_power=11), "elements[0].restrictions.max_power", "never apply"),
    ("min_duration_above_max", _restr(min_duration=3600, max_duration=1800),
     "elements[0].restrictions.max_duration", "never apply"),
    ("empty_day_of_week", _restr(day_of_week=[]), "elements[0].restrictions.day_of_week", "empty list"),
    ("unknown_day", _restr(day_of_week=["MONDAY", "FUNDAY"]), "elements[0].restrictions.day_of_week[1]",
     "unknown day"),
    ("misspelled_restriction", _restr(dayOfWeek=["MONDAY"]), "elements[0].restrictions.dayOfWeek", "unknown field"),
    ("unknown_reservation", _restr(reservation="MAYBE"), "elements[0].restrictions.reservation", "unknown value"),
    ("end_before_start_date_time", lambda o: o.update(start_date_time="2024-02-01T00:00:00Z",
                                                       end_date_time="2024-01-01T00:00:00Z"),
     "end_date_time", "not after start_date_time"),
    ("negative_min_price", lambda o: o.update(min_price={"excl_vat": -1}), "min_price.excl_vat", "negative"),
    ("min_price_above_max_price", lambda o: o.update(min_price={"excl_vat": 5}, max_price={"excl_vat": 4}),
     "max_price.excl_vat", "below min_price"),
]


@pytest.mark.parametrize("name, change, path, reason", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_validation_refuses_with_exact_field_path(name, change, path, reason):
    with pytest.raises(TariffError) as refused:
        Tariff.from_ocpi(_with(change))
    assert [p for p, r in refused.value.problems if reason in r] == [path], refused.value.problems


def test_all_problems_are_reported_at_once():
    obj = _with(lambda o: (o.update(currency="EUX"), o["elements"][0]["price_components"][0].update(price=-1)))
    with pytest.raises(TariffError) as refused:
        Tariff.from_ocpi(obj)
    assert {p for p, _ in refused.value.problems} == {"currency", "elements[0].price_components[0].price"}


def test_flat_step_size_zero_is_accepted_because_flat_has_no_unit():
    Tariff.from_ocpi(load_json(DATA / "tandemdrive" / "multiple_flat_fees" / "tariff.json"))


def test_valid_base_tariff_is_accepted():
    assert Tariff.from_ocpi(copy.deepcopy(_with(lambda o: None))).currency == "EUR"
