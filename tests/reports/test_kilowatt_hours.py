"""kWh from a float of Wh: three decimals of the float's shortest text, rounded half to even, however computed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, strategies as st

from chargeledger.reports.columns import kilowatt_hours


def _reference(energy_wh: float) -> Decimal:
    return (Decimal(str(energy_wh)) / 1000).quantize(Decimal("0.001"))


@given(st.floats(allow_nan=False, allow_infinity=False) | st.floats(min_value=0, max_value=1e7)
       | st.integers(0, 10**7).map(lambda n: n / 2) | st.integers(0, 10**7).map(lambda n: n / 10))
@example(0.5)
@example(1.5)
@example(2.5)
@example(12345.5)
@example(-0.0)
@example(0.0)
@example(4503599627370495.5)
@example(4503599627370496.0)
@example(0.1 + 0.2)
@example(999.4999999999999)
@example(1e300)
@example(5e-324)
@example(1e20)
def test_kilowatt_hours_are_the_shortest_text_rounded(energy_wh):
    try:
        expected = _reference(energy_wh)
    except ArithmeticError:  # beyond the decimal context (about 1e25 Wh): both refuse
        with pytest.raises(ArithmeticError):
            kilowatt_hours(energy_wh)
        return
    value = kilowatt_hours(energy_wh)
    assert value == expected and str(value) == str(expected), energy_wh
