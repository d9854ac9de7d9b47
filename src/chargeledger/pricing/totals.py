"""From engine slices to CDR totals in one pass of running Decimal sums: FLAT once, step extras, min/max price.

Each slice keeps its raw lines (component, dimension, CDR total, volume, billed volume, cost excl/incl) and its
cost; PricedPeriod/PricedLine objects are built from them only when a caller reads `periods` (priced_periods.py).
Sums are added in invoice order (line by line per CDR total, period by period for total_cost), so the totals equal
a recomputation from the lines exactly.
"""

from __future__ import annotations

from decimal import Decimal

from chargeledger.pricing.priced_periods import build_periods
from chargeledger.pricing.result import NO_MONEY, CdrTotals, Money, PricedSession, ZERO
from chargeledger.pricing.slices import RESERVATION, Slice
from chargeledger.pricing.step_rounding import step_extras

_SECONDS_PER_HOUR = Decimal(3600)
_ONE = Decimal(1)


def price_slices(currency: str, slices: list[Slice], total_time_h: Decimal, min_price, max_price) -> PricedSession:
    ex = step_extras(slices)
    last_e, last_t, last_r = ex.energy, ex.time, ex.reservation
    time_is_parking = ex.time_dimension == "PARKING_TIME"
    fx = fi = ex_ = ei = tx = ti = px = pi = rx = ri = ZERO  # per CDR total: fixed, energy, time, parking, reservation
    excl_sum = incl_sum = energy_sum = parking_sum = ZERO
    flat_session = flat_reservation = False  # FLAT once per session and once per reservation
    for s in slices:
        lines = []
        p_excl = p_incl = ZERO
        c = s.flat_c
        if s.kind is RESERVATION:
            if c is not None and not flat_reservation:
                flat_reservation = True
                excl = c.price
                incl = excl * c.vat_factor
                lines.append((c, "FLAT", "total_reservation_cost", _ONE, _ONE, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                rx, ri = rx + excl, ri + incl
            c = s.time_c
            if c is not None and s.reservation_s > 0:
                seconds = s.reservation_s
                billed = seconds + ex.reservation_extra if s is last_r else seconds
                # divide last so an exact seconds * price loses no digits before the one division
                excl = billed * c.price / _SECONDS_PER_HOUR
                incl = excl * c.vat_factor
                lines.append((c, "TIME", "total_reservation_cost", seconds, billed, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                rx, ri = rx + excl, ri + incl
        else:
            if c is not None and not flat_session:
                flat_session = True
                excl = c.price
                incl = excl * c.vat_factor
                lines.append((c, "FLAT", "total_fixed_cost", _ONE, _ONE, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                fx, fi = fx + excl, fi + incl
            c = s.energy_c
            volume = s.energy_kwh
            if c is not None and volume > 0:
                billed = volume + ex.energy_extra if s is last_e else volume
                excl = billed * c.price
                incl = excl * c.vat_factor
                lines.append((c, "ENERGY", "total_energy_cost", volume, billed, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                ex_, ei = ex_ + excl, ei + incl
            c = s.time_c
            seconds = s.time_s
            if c is not None and seconds > 0:
                billed = seconds + ex.time_extra if s is last_t and not time_is_parking else seconds
                excl = billed * c.price / _SECONDS_PER_HOUR
                incl = excl * c.vat_factor
                lines.append((c, "TIME", "total_time_cost", seconds, billed, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                tx, ti = tx + excl, ti + incl
            c = s.parking_c
            seconds = s.parking_s
            if c is not None and seconds > 0:
                billed = seconds + ex.time_extra if s is last_t and time_is_parking else seconds
                excl = billed * c.price / _SECONDS_PER_HOUR
                incl = excl * c.vat_factor
                lines.append((c, "PARKING_TIME", "total_parking_cost", seconds, billed, excl, incl))
                p_excl, p_incl = p_excl + excl, p_incl + incl
                px, pi = px + excl, pi + incl
            energy_sum += volume
            parking_sum += seconds
        s.lines = lines
        s.excl, s.incl = p_excl, p_incl
        excl_sum += p_excl
        incl_sum += p_incl

    min_adj, max_adj, excl_total, incl_total = _apply_min_max(excl_sum, incl_sum, min_price, max_price)
    totals = CdrTotals(
        total_cost=Money(excl_total, incl_total), total_fixed_cost=_money(fx, fi), total_energy=energy_sum,
        total_energy_cost=_money(ex_, ei), total_time=total_time_h, total_time_cost=_money(tx, ti),
        total_parking_time=parking_sum / _SECONDS_PER_HOUR, total_parking_cost=_money(px, pi),
        total_reservation_cost=_money(rx, ri))
    return PricedSession(currency, lambda: build_periods(slices), totals, min_adj, max_adj, ex.rounded)


def _money(excl: Decimal, incl: Decimal) -> Money:
    # most sessions leave some CDR totals untouched: share one zero object instead of building one per session
    return NO_MONEY if excl is ZERO and incl is ZERO else Money(excl, incl)


def _apply_min_max(excl: Decimal, incl: Decimal, min_price, max_price):
    """min_price then max_price, each checked excl and incl VAT independently (OCPI Tariff notes)."""
    excl_total, incl_total = excl, incl
    if min_price is not None:
        excl_total = max(excl_total, Decimal(min_price.excl_vat))
        if min_price.incl_vat is not None:
            incl_total = max(incl_total, Decimal(min_price.incl_vat))
    min_adj = NO_MONEY if excl_total is excl and incl_total is incl else Money(excl_total - excl, incl_total - incl)
    capped_excl, capped_incl = excl_total, incl_total
    if max_price is not None:
        capped_excl = min(capped_excl, Decimal(max_price.excl_vat))
        if max_price.incl_vat is not None:
            capped_incl = min(capped_incl, Decimal(max_price.incl_vat))
    max_adj = (NO_MONEY if capped_excl is excl_total and capped_incl is incl_total
               else Money(capped_excl - excl_total, capped_incl - incl_total))
    return min_adj, max_adj, capped_excl, capped_incl
