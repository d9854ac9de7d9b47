"""Hypothesis properties of the settlement arithmetic: lines sum to totals, revenue identity to the cent,
no negative totals, VAT per rate on the rounded net."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings, strategies as st

from chargeledger.settlement.compute import SettlementContext, settle
from chargeledger.settlement.currency import round_money
from chargeledger.settlement.profile import parse_profile
from tests.settlement.test_rules import facts, priced, tariff

money = st.decimals(min_value=D("0"), max_value=D("5"), places=4)
percent = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@settings(max_examples=60, deadline=None)
@given(price=money, vat=st.sampled_from([None, "0", "9", "21"]), kwh=st.integers(0, 120), idle=st.integers(0, 3),
       connection=money, member=percent, promo=money, gw_pct=st.decimals(min_value=D(0), max_value=D(5), places=2),
       platform=money, cap=st.none() | money, inclusive=st.booleans(), jurisdictions=st.booleans(),
       currency=st.sampled_from(["EUR", "JPY", "BHD"]))
def test_invoice_lines_sum_to_totals_and_revenue_identity_holds(price, vat, kwh, idle, connection, member, promo,
                                                                gw_pct, platform, cap, inclusive, jurisdictions,
                                                                currency):
    profile = parse_profile({
        "fees": {"connection": str(connection), "occupancy_per_hour": "1.25", "vat": "21"},
        "membership": {"plan": "M", "percent": str(member)}, "promotion": {"code": "P", "amount": str(promo)},
        "gateway_fee": {"percent": str(gw_pct), "fixed": "0.30"}, "platform_fee_per_kwh": str(platform),
        **({"taxes": [{"jurisdiction": "State", "rate": "6.25"}, {"jurisdiction": "City", "rate": "2.5"}],
            "excise_per_kwh": "0.003"} if jurisdictions else {}),
    })
    p = priced(tariff(str(price), vat, currency), str(kwh), idle_h=idle)
    s = settle(p, facts(p, idle), profile, SettlementContext(
        prices_include_tax=inclusive, team_kwh_price_cap=cap, membership_plan="M", promotion_code="P"))
    a = s.amounts
    assert sum((line.amount for line in s.lines), D(0)) == a["subtotal"]
    assert all(a[k] >= 0 for k in ("amount_before_discount", "subtotal", "total_tax", "payment_total"))
    expected_total = a["subtotal"] if a["taxes_inclusive"] else a["subtotal"] + a["total_tax"]
    assert a["payment_total"] == expected_total
    assert a["revenue"] == a["payment_total"] - a["total_tax"] - a["gateway_fee"] - a["platform_fee"]
    for value in (a["subtotal"], a["total_tax"], a["payment_total"], a["revenue"]):
        assert value == value.quantize(D(1).scaleb(-{"JPY": 0, "BHD": 3}.get(currency, 2)))
    if s.split_billing:
        assert D(s.split_billing["team_share"]) + D(s.split_billing["driver_contribution"]) == a["payment_total"]
    if not jurisdictions:
        for group in s.vat_groups:
            if group["rate"] is not None:
                assert group["vat"] == round_money(group["net"] * group["rate"] / 100, currency)
