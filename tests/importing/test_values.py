"""Date and number quirks of real exports, and mappings that are wrong said so before anything is read."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chargeledger.importing import MappingError, load_mapping, parse_mapping
from chargeledger.importing.values import BadValue, moment, number

BASE = {
    "source": {"name": "t"},
    "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh"},
    "network": {"site": "S"},
}


def mapping(**sections):
    data = {k: dict(v) for k, v in BASE.items()}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_mapping(data)


def test_years_written_0014_need_a_declared_century():
    fixed = mapping(time={"formats": ["%Y-%m-%d %H:%M:%S"], "time_zone": "America/Los_Angeles", "century": 2000})
    assert moment(fixed, "created", "0015-07-01 09:00:00") == datetime(2015, 7, 1, 16, 0, tzinfo=timezone.utc)
    plain = mapping(time={"formats": ["%Y-%m-%d %H:%M:%S"]})
    with pytest.raises(BadValue, match="year 15 .*century = 2000"):
        moment(plain, "created", "0015-07-01 09:00:00")


def test_two_digit_year_pivot():
    pivot = mapping(time={"formats": ["%d/%m/%y %H:%M"], "two_digit_year_pivot": 80})
    assert moment(pivot, "s", "01/02/79 10:00").year == 2079
    assert moment(pivot, "s", "01/02/80 10:00").year == 1980  # at the pivot: the earlier century
    assert moment(mapping(time={"formats": ["%d/%m/%y %H:%M"]}), "s", "01/02/79 10:00").year == 1979


def test_formats_tried_in_order_and_zone_applied():
    m = mapping(time={"formats": ["%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z"], "time_zone": "Europe/Oslo"})
    assert moment(m, "s", "21.12.2018 10:20") == datetime(2018, 12, 21, 9, 20, tzinfo=timezone.utc)
    # a cell with its own offset keeps it
    assert moment(m, "s", "2018-12-21T10:20:00+05:00") == datetime(2018, 12, 21, 5, 20, tzinfo=timezone.utc)


def test_decimal_comma_and_thousands():
    comma = mapping(file={"decimal_comma": True, "thousands_separator": "."})
    assert number(comma, "kwh", "1.234,56") == Decimal("1234.56")
    assert number(mapping(file={"decimal_comma": True}), "kwh", "0,3") == Decimal("0.3")
    with pytest.raises(BadValue, match="not a number"):
        number(mapping(), "kwh", "12 kWh")
    with pytest.raises(BadValue, match="finite"):
        number(mapping(), "kwh", "NaN")


@pytest.mark.parametrize("sections, message", [
    ({"time": {"time_zone": "Mars/Olympus"}}, "not an IANA time zone"),
    ({"units": {"energy": "MJ"}}, "energy is one of kWh, Wh"),
    ({"columns": {"duration": "hours"}}, "exactly one of stop or duration"),
    ({"file": {"encodings": ["klingon"]}}, "encoding 'klingon' is unknown"),
    ({"columns": {"amount": "paid"}}, "an amount needs a currency"),
    ({"rules": {"missing_stop": "guess"}}, "missing_stop is one of"),
    ({"file": {"delimter": ";"}}, "unknown key\\(s\\) delimter"),
    ({"time": {"century": 2014}}, "multiple of 100"),
])
def test_mapping_errors_name_the_problem(sections, message):
    with pytest.raises(MappingError, match=message):
        mapping(**sections)


def test_shipped_mappings_load():
    assert load_mapping("trondheim_residential").time_zone == "Europe/Oslo"
    assert load_mapping("workplace_dataverse").century == 2000
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping("no_such_mapping")
