"""One named test per operator money rule, on the pure settlement core (real pricing engine, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chargeledger.pricing import Tariff, Usage, UsagePoint, price_usage
from chargeledger.settlement.compute import SettlementContext, settle
from chargeledger.settlement.currency import round_money
from chargeledger.settlement.electricity import EnergySlice, electricity_cost
from chargeledger.settlement.lines import UsageFacts
from chargeledger.settlement.profile import ProfileError, parse_profile
from chargeledger.settlement.rates import load_day_ahead_csv, hourly_prices

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc)


def tariff(price="0.40", vat="21", currency="EUR", parking=None):
    comps = [{"type": "ENERGY", "price": D(price), "step_size": 1, **({"vat": D(vat)} if vat else {})}]
    if parking:
        comps.append({"type": "PARKING_TIME", "price": D(parking), "step_size": 1})
    return Tariff.from_ocpi({"id": "T", "currency": currency, "elements": [{"price_components": comps}]})


def priced(t=None, kwh="10", hours=1, idle_h=0):
    end = START + timedelta(hours=hours)
    usage = Usage(START, end + timedelta(hours=idle_h), (UsagePoint(START, D(0)), UsagePoint(end, D(kwh) * 1000),
                                                        UsagePoint(end, D(kwh) * 1000, charging=False)))
    return price_usage(t or tariff(), usage, AMS)


def facts(p, idle_h=0):
    end = START + timedelta(hours=1)
    return UsageFacts(p.totals.total_energy, D(1), end, end + timedelta(hours=idle_h))


def run(profile=None, ctx=SettlementContext(), t=None, kwh="10", idle_h=0):
    p = priced(t, kwh, idle_h=idle_h)
    return settle(p, facts(p, idle_h), parse_profile(profile), ctx)


def test_simple_price_has_no_bill_details_and_vat_on_rounded_net():
    s = run()
    assert s.bill_details is None
    assert s.amounts["subtotal"] == D("4.00") and s.amounts["total_tax"] == D("0.84")
    assert s.amounts["payment_total"] == D("4.84")


def test_connection_session_and_occupancy_fees_with_grace_period():
    profile = {"fees": {"connection": "1.00", "session_per_kwh": "0.05", "occupancy_per_hour": "6.00",
                        "occupancy_grace_minutes": 15}}
    s = run(profile, idle_h=1)
    a = s.amounts
    assert a["connection_fee"] == D("1.00") and a["session_fee"] == D("4.50")  # 4.00 tariff + 10 x 0.05
    assert a["occupancy_fee"] == D("4.50")  # (60 - 15) min x 6.00/h
    assert s.bill_details["fees"]["occupancy_fee"] == "4.50"


def test_reservation_fee_only_when_reserved():
    p = priced()
    f = facts(p)
    with_res = settle(p, UsageFacts(f.energy_kwh, f.charging_hours, f.charging_ended_at, f.plug_ended_at, True),
                      parse_profile({"fees": {"reservation": "0.50"}}), SettlementContext())
    assert with_res.amounts["reservation_fee"] == D("0.50")
    assert run({"fees": {"reservation": "0.50"}}).amounts["reservation_fee"] == D(0)


def test_membership_discount_shown_with_the_amount_before_discount():
    profile = {"membership": {"plan": "GOLD", "name": "Gold members", "percent": "10"}}
    s = run(profile, SettlementContext(membership_plan="GOLD"))
    assert s.amounts["amount_before_discount"] == D("4.00") and s.amounts["membership_discount"] == D("0.40")
    assert s.amounts["subtotal"] == D("3.60") and s.amounts["discount_plan_name"] == "Gold members"
    assert run(profile, SettlementContext(membership_plan="SILVER")).amounts["membership_discount"] == D(0)


def test_promotion_code_percentage_or_amount_never_below_zero():
    assert run({"promotion": {"code": "SPRING", "percent": "25"}},
               SettlementContext(promotion_code="SPRING")).amounts["code_discount"] == D("1.00")
    big = run({"promotion": {"code": "WELCOME", "amount": "10.00"}}, SettlementContext(promotion_code="WELCOME"))
    assert big.amounts["code_discount"] == D("4.00") and big.amounts["payment_total"] == D(0)


def test_split_billing_team_pays_up_to_the_kwh_cap():
    s = run(ctx=SettlementContext(team_kwh_price_cap=D("0.30")))
    split = s.split_billing
    assert split["effective_rate"] == "0.4000" and split["covered_rate"] == "0.3000"
    assert D(split["team_share"]) + D(split["driver_contribution"]) == s.amounts["payment_total"]
    assert split["team_share"] == "3.63"  # 3.00 of 4.00 net, with its share of VAT: 4.84 x 3/4


def test_taxes_per_jurisdiction_exclusive_and_excise_per_kwh():
    profile = {"taxes": [{"jurisdiction": "State", "name": "MA", "rate": "6.25"},
                         {"jurisdiction": "City", "name": "Boston", "rate": "1"}], "excise_per_kwh": "0.01"}
    s = run(profile, t=tariff(vat=None, currency="USD"))
    assert [t["amount"] for t in s.amounts["taxes"]] == ["0.25", "0.04"]
    assert s.amounts["excise_tax"] == D("0.10") and s.amounts["total_tax"] == D("0.39")
    assert s.amounts["payment_total"] == D("4.39")


def test_taxes_inclusive_are_taken_out_of_the_price():
    profile = {"taxes": [{"jurisdiction": "State", "name": "X", "rate": "25"}]}
    s = run(profile, SettlementContext(prices_include_tax=True), t=tariff(vat=None, price="0.50"))
    assert s.amounts["payment_total"] == D("5.00") and s.amounts["total_tax"] == D("1.00")
    assert s.amounts["taxes_inclusive"] is True


def test_electricity_cost_flat_and_margin_absolute_percent_per_kwh():
    profile = {"cost": {"kind": "flat", "per_kwh": "0.20"}, "cost_fixed": "0.10"}
    p = priced()
    cost = electricity_cost(parse_profile(profile).cost, [EnergySlice(START, START + timedelta(hours=1), D(10))], AMS)
    s = settle(p, facts(p), parse_profile(profile), SettlementContext(electricity_cost=cost.amount))
    assert s.amounts["electricity_cost"] == D("2.10") and s.amounts["margin"] == D("1.90")
    assert s.bill_details["margin"] == {"absolute": "1.90", "percent": "47.50", "per_kwh": "0.1900"}


def test_time_of_use_cost_window_crossing_midnight_in_local_time():
    source = parse_profile({"cost": {"kind": "time_of_use", "default_per_kwh": "0.30",
                                     "windows": [{"from": "23:00", "to": "07:00", "per_kwh": "0.10"}]}}).cost
    # 21:00-23:00 UTC = 22:00-00:00 Amsterdam (winter): one hour at day rate, one in the night window
    slice_ = EnergySlice(datetime(2024, 1, 10, 21, tzinfo=timezone.utc), datetime(2024, 1, 10, 23, tzinfo=timezone.utc),
                         D(20))
    assert electricity_cost(source, [slice_], AMS).amount == D("4.00")  # 10 x 0.30 + 10 x 0.10


def test_hourly_cost_across_the_spring_dst_change(sqlite_engine):
    load_day_ahead_csv(sqlite_engine, "NL", Path(__file__).parent / "data" / "nl_day_ahead_dst_2023.csv")
    # 00:00-02:00 UTC on 2023-03-26: local 01:00 then 03:00 (02:00 local does not exist); 80.00 and 84.90 EUR/MWh
    start, end = datetime(2023, 3, 26, 0, tzinfo=timezone.utc), datetime(2023, 3, 26, 2, tzinfo=timezone.utc)
    prices = hourly_prices(sqlite_engine, "NL", start, end)
    source = parse_profile({"cost": {"kind": "hourly", "market": "NL"}}).cost
    cost = electricity_cost(source, [EnergySlice(start, end, D(20))], AMS, prices)
    assert cost.amount == D("10") * D("0.08") + D("10") * D("0.0849") and cost.missing_hours == ()


def test_gateway_and_platform_fees_and_revenue_identity():
    s = run({"gateway_fee": {"percent": "2.9", "fixed": "0.30"}, "platform_fee_per_kwh": "0.02"})
    a = s.amounts
    assert a["gateway_fee"] == D("0.44")  # 4.84 x 2.9 % + 0.30 = 0.44036
    assert a["platform_fee"] == D("0.20")
    assert a["revenue"] == a["payment_total"] - a["total_tax"] - a["gateway_fee"] - a["platform_fee"] == D("3.36")


def test_settlement_currency_with_the_exchange_rate_fixed_at_settlement():
    s = run({"settlement_currency": "USD", "gateway_fee": {"fixed": "0.30"}},
            SettlementContext(exchange_rate=D("1.0850")))
    a = s.amounts
    assert a["settlement_currency"] == "USD" and a["exchange_rate"] == D("1.0850")
    assert a["revenue_settlement"] == round_money(a["revenue"] * D("1.085"), "USD")


def test_cancelled_own_session_is_waived_as_a_recorded_decision():
    t = Tariff.from_ocpi({"id": "T", "currency": "EUR", "elements": [{"price_components": [
        {"type": "FLAT", "price": D("1.50"), "step_size": 1}]}]})
    waived = run({}, SettlementContext(cancelled=True), t=t, kwh="0")
    assert waived.amounts["amount_before_discount"] == D("1.50") and waived.amounts["payment_total"] == D(0)
    assert "operator policy" in waived.waived
    roamed = run({}, SettlementContext(cancelled=True, own_session=False), t=t, kwh="0")
    assert roamed.amounts["payment_total"] == D("1.50") and roamed.waived is None
    opted_out = run({"waive_cancelled": False}, SettlementContext(cancelled=True), t=t, kwh="0")
    assert opted_out.amounts["payment_total"] == D("1.50")


@pytest.mark.parametrize("currency, expected", [("JPY", "12"), ("EUR", "12.50"), ("BHD", "12.500")])
def test_invoice_rounds_half_up_to_the_currency_minor_unit(currency, expected):
    assert str(round_money(D("12.4996"), currency)) == expected
    assert round_money(D("12.5"), "JPY") == D("13") and round_money(D("0.125"), "EUR") == D("0.13")
    assert round_money(D("1.0005"), "BHD") == D("1.001")


def test_profile_refuses_bad_input_with_the_field():
    with pytest.raises(ProfileError) as err:
        parse_profile({"fees": {"connection": 1.5}, "cost": {"kind": "spot"}, "settlement_currency": "EURO"})
    fields = [f for f, _ in err.value.problems]
    assert set(fields) == {"fees.connection", "settlement_currency", "cost.kind"}
