"""The fast totals path (running sums, lazily built lines) against a straightforward recomputation from the lines:
each line re-priced from billed volume x unit price and its VAT, step rounding and min/max redone from the tariff,
so an optimisation cannot silently change a price."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chargeledger.pricing import (PricedSession, Reservation, Tariff, Usage, UsagePoint, compile_tariff, price_cdr,
                                  price_usage)
from chargeledger.pricing.cdr_periods import charging_periods_to_ocpi, ocpi_datetime
from tests.pricing.helpers import UTC, component, tariff
from tests.pricing.test_cdr_periods import THRESHOLDS, TIME_OF_DAY

D0 = Decimal(0)
TINY = Decimal("1e-20")  # a time line divides seconds by 3600 once; the recomputation divides in another order
NOISE = Decimal("1e-9")
RESERVED_EXPIRING = tariff(
    {"price_components": [component("TIME", "2", 60)], "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [component("TIME", "6", 300, "21"), component("FLAT", "1")],
     "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
    {"price_components": [component("ENERGY", "0.3", 250, "9"), component("TIME", "0.9", 1)],
     "restrictions": {"day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY"]}},
    {"price_components": [component("ENERGY", "0.35", 1, "21"), component("PARKING_TIME", "4", 600, "21")]},
    max_price={"excl_vat": 12})
TARIFFS = {"time_of_day": compile_tariff(TIME_OF_DAY), "thresholds": compile_tariff(THRESHOLDS),
           "reservations": compile_tariff(RESERVED_EXPIRING)}
CDR_TOTAL = {"ENERGY": "total_energy_cost", "TIME": "total_time_cost", "PARKING_TIME": "total_parking_cost",
             "FLAT": "total_fixed_cost"}


def _vat(excl: Decimal, vat: Decimal | None) -> Decimal:
    return excl if vat is None else excl * (1 + vat / 100)


def _stepped(total: Decimal, step: int) -> Decimal:
    exact = total.quantize(NOISE)
    return (exact / step).to_integral_value(rounding=ROUND_CEILING) * step


def assert_totals_recomputed(priced: PricedSession, t: Tariff) -> None:
    lines_by_total: dict[str, list[Decimal]] = {}
    volume: dict[str, Decimal] = {}
    billed: dict[str, Decimal] = {}
    last = {}
    for period in priced.periods:
        period_excl = period_incl = D0
        for line in period.lines:
            excl = line.billed_volume * line.unit_price
            assert abs(line.cost.excl_vat - excl) <= TINY
            assert abs(line.cost.incl_vat - _vat(line.cost.excl_vat, line.vat)) <= TINY
            reserved = period.kind == "RESERVATION"
            assert line.cdr_total == ("total_reservation_cost" if reserved else CDR_TOTAL[line.dimension])
            pair = lines_by_total.setdefault(line.cdr_total, [D0, D0])
            pair[0] += line.cost.excl_vat
            pair[1] += line.cost.incl_vat
            period_excl += line.cost.excl_vat
            period_incl += line.cost.incl_vat
            dim = "RESERVATION" if reserved and line.dimension == "TIME" else line.dimension
            volume[dim] = volume.get(dim, D0) + line.volume
            billed[dim] = billed.get(dim, D0) + line.billed_volume
            if dim != "FLAT":
                last[dim] = line
        assert (period.cost.excl_vat, period.cost.incl_vat) == (period_excl, period_incl)
    totals = priced.totals
    for name in ("total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
                 "total_reservation_cost"):
        money = getattr(totals, name)
        assert [money.excl_vat, money.incl_vat] == lines_by_total.get(name, [D0, D0])
    # step_size: once per dimension on the total, with the last line's step; the extra sits on that last line
    # (TIME is not rounded when PARKING_TIME was priced: PRODUCT.md, Pricing)
    for dim, line in last.items():
        scale = 1000 if dim == "ENERGY" else 3600
        rounded = not (dim == "TIME" and "PARKING_TIME" in last)
        expected = _stepped(volume[dim] * scale, line.step_size) if rounded else volume[dim] * scale
        assert abs(billed[dim] * scale - expected) <= NOISE
    # min/max on the sum of the periods, excl and incl checked independently
    excl = sum((p.cost.excl_vat for p in priced.periods), D0)
    incl = sum((p.cost.incl_vat for p in priced.periods), D0)
    want_excl, want_incl = excl, incl
    if t.min_price is not None:
        want_excl = max(want_excl, t.min_price.excl_vat)
        want_incl = max(want_incl, t.min_price.incl_vat) if t.min_price.incl_vat is not None else want_incl
    if t.max_price is not None:
        want_excl = min(want_excl, t.max_price.excl_vat)
        want_incl = min(want_incl, t.max_price.incl_vat) if t.max_price.incl_vat is not None else want_incl
    assert (totals.total_cost.excl_vat, totals.total_cost.incl_vat) == (want_excl, want_incl)
    assert want_excl - excl == priced.min_price_adjustment.excl_vat + priced.max_price_adjustment.excl_vat
    assert want_incl - incl == priced.min_price_adjustment.incl_vat + priced.max_price_adjustment.incl_vat
    assert totals.total_energy == sum((p.energy for p in priced.periods if p.kind != "RESERVATION"), D0)
    assert abs(totals.total_parking_time - sum((p.parking_time for p in priced.periods), D0)) <= TINY


@st.composite
def usages(draw) -> Usage:
    start = draw(st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31))).replace(tzinfo=UTC)
    samples, at, wh = [], start, D0
    for _ in range(draw(st.integers(0, 12))):
        charging = draw(st.booleans())
        power = draw(st.sampled_from([None, 0, 3000, 3700, 7400, 11000, 22000]))
        amps = draw(st.sampled_from([None, 6, 16, 32, 40]))
        samples.append(UsagePoint(at, wh, None if power is None else Decimal(power),
                                  None if amps is None else Decimal(amps), charging))
        at += timedelta(seconds=draw(st.integers(1, 5400)))
        if charging:
            wh += draw(st.decimals("0", "25000", places=2))
    end = at + timedelta(seconds=draw(st.integers(0, 7200)))
    reservation = None
    if draw(st.booleans()):
        reservation = Reservation(start - timedelta(seconds=draw(st.integers(1, 9000))), start, draw(st.booleans()))
    return Usage(start, end, tuple(samples), reservation)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(TARIFFS)), usages(), st.sampled_from(["Europe/Amsterdam", "America/New_York"]))
def test_usage_totals_equal_a_recomputation_from_the_lines(name, usage, zone):
    compiled = TARIFFS[name]
    assert_totals_recomputed(price_usage(compiled, usage, zone), compiled.tariff)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(TARIFFS)), usages())
def test_cdr_totals_equal_a_recomputation_from_the_lines(name, usage):
    compiled = TARIFFS[name]
    priced = price_usage(compiled, usage, "Europe/Amsterdam")
    start = usage.reservation.start if usage.reservation is not None else usage.start
    cdr = {"start_date_time": ocpi_datetime(start), "end_date_time": ocpi_datetime(usage.end),
           "charging_periods": charging_periods_to_ocpi(priced)}
    if cdr["charging_periods"]:
        assert_totals_recomputed(price_cdr(compiled, cdr, "Europe/Amsterdam"), compiled.tariff)
