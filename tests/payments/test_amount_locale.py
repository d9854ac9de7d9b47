"""Refund amounts as operators type them, in their locale; an ambiguous or malformed one is refused clearly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chargeledger.payments.refunds import RefundRefused, _parse_amount, amount_text


@pytest.mark.parametrize("typed, value", [
    ("1,50", "1.50"), ("1.50", "1.50"), ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1 234,56", "1234.56"),
    ("1\u00a0234,56", "1234.56"), ("  7 ", "7"), ("1'234.50", "1234.50"), (2.5, "2.5"),
])
def test_locale_amounts(typed, value):
    assert _parse_amount(typed, "EUR") == Decimal(value)


@pytest.mark.parametrize("typed, reason", [
    ("1,505", "more decimals"), ("abc", "not a number"), ("1,2,3", "not a number"), ("-1,00", "above zero"),
])
def test_refused_amounts_say_why(typed, reason):
    with pytest.raises(RefundRefused, match=reason):
        _parse_amount(typed, "EUR")


def test_text_is_left_alone_when_it_has_no_comma():
    assert amount_text("12.30") == "12.30"
