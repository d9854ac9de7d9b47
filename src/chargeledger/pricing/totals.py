"""From priced slices to invoice lines and CDR totals: step_size rounding, FLAT once, min/max price.

step_size (OCPI CDR module): applied once per session on the total of a dimension, with the step of the last
component used; the extra volume is billed on that last line. TIME and PARKING_TIME are rounded together: when
parking was priced only the parking total is rounded, charging time is not.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from chargeledger.pricing.result import (
    NO_MONEY, CdrTotals, Money, PricedLine, PricedPeriod, PricedSession, ZERO)
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION, Slice
from chargeledger.pricing.windows import from_us

_SECONDS_PER_HOUR = Decimal(3600)
_WH_PER_KWH = Decimal(1000)
_ONE = Decimal(1)


_NOISE = Decimal("1e-9")


def _round_up(total: Decimal, step: int) -> Decimal:
    """Smallest multiple of step that is >= total (total in Wh or seconds)."""
    # hours like 61/60 arrive with a 1e-24 s tail from a repeating division; that must not bill a whole extra step
    exact = total.quantize(_NOISE)
    if exact % step == 0:
        return total if exact == total else exact
    return (exact / step).to_integral_value(rounding=ROUND_CEILING) * step


def _last_with(slices: list[Slice], comp: str, volume: str) -> tuple[Slice | None, Decimal]:
    last, total = None, ZERO
    for s in slices:
        c = getattr(s, comp)
        v = getattr(s, volume)
        if c is not None and v > 0:
            last = s
            total += v
    return last, total


def price_slices(currency: str, slices: list[Slice], total_time_h: Decimal, min_price, max_price) -> PricedSession:
    session = [s for s in slices if s.kind != RESERVATION]
    reserved = [s for s in slices if s.kind == RESERVATION]
    extra: dict[tuple[int, str], Decimal] = {}  # (id(slice), dimension) -> volume added by step rounding
    rounded = []

    last, total = _last_with(session, "energy_c", "energy_kwh")
    if last is not None:
        billed = _round_up(total * _WH_PER_KWH, last.energy_c.step_size) / _WH_PER_KWH
        if billed != total:
            extra[(id(last), "ENERGY")] = billed - total
            rounded.append("ENERGY")
    last_p, total_p = _last_with(session, "parking_c", "parking_s")
    last_t, total_t = _last_with(session, "time_c", "time_s")
    # TIME is only rounded when no parking was priced (charging followed by parking is not rounded)
    for last, total, dim, comp in ((last_p, total_p, "PARKING_TIME", "parking_c"), (last_t, total_t, "TIME", "time_c")):
        if last is not None:
            billed = _round_up(total, getattr(last, comp).step_size)
            if billed != total:
                extra[(id(last), dim)] = billed - total
                rounded.append(dim)
            break
    last_r, total_r = _last_with(reserved, "time_c", "reservation_s")
    if last_r is not None:
        billed = _round_up(total_r, last_r.time_c.step_size)
        if billed != total_r:
            extra[(id(last_r), "RESERVATION")] = billed - total_r
            rounded.append("RESERVATION")

    # per CDR total: [excl, incl] accumulated as plain Decimals (Money objects only at the end)
    sums = {"total_fixed_cost": [ZERO, ZERO], "total_energy_cost": [ZERO, ZERO], "total_time_cost": [ZERO, ZERO],
            "total_parking_cost": [ZERO, ZERO], "total_reservation_cost": [ZERO, ZERO]}
    excl_sum = incl_sum = ZERO
    energy_sum = parking_sum = ZERO
    flat_done = {False: False, True: False}  # FLAT once per session and once per reservation
    periods = []
    previous_end, previous_end_dt = None, None
    for s in slices:
        lines = []
        is_reservation = s.kind == RESERVATION
        if s.flat_c is not None and not flat_done[is_reservation]:
            flat_done[is_reservation] = True
            lines.append(_line(s.flat_c, "FLAT", "total_reservation_cost" if is_reservation else "total_fixed_cost",
                               _ONE, _ONE, s.flat_c.price))
        if is_reservation:
            if s.time_c is not None and s.reservation_s > 0:
                lines.append(_time_line(s.time_c, "TIME", "total_reservation_cost", s.reservation_s,
                                        extra.get((id(s), "RESERVATION")) if extra else None))
        else:
            if s.energy_c is not None and s.energy_kwh > 0:
                add = extra.get((id(s), "ENERGY")) if extra else None
                billed = s.energy_kwh + add if add is not None else s.energy_kwh
                lines.append(_line(s.energy_c, "ENERGY", "total_energy_cost", s.energy_kwh, billed,
                                   billed * s.energy_c.price))
            if s.time_c is not None and s.time_s > 0:
                lines.append(_time_line(s.time_c, "TIME", "total_time_cost", s.time_s,
                                        extra.get((id(s), "TIME")) if extra else None))
            if s.parking_c is not None and s.parking_s > 0:
                lines.append(_time_line(s.parking_c, "PARKING_TIME", "total_parking_cost", s.parking_s,
                                        extra.get((id(s), "PARKING_TIME")) if extra else None))
            energy_sum += s.energy_kwh
            parking_sum += s.parking_s
        p_excl = p_incl = ZERO
        for line in lines:
            cost = line.cost
            p_excl += cost.excl_vat
            p_incl += cost.incl_vat
            pair = sums[line.cdr_total]
            pair[0] += cost.excl_vat
            pair[1] += cost.incl_vat
        excl_sum += p_excl
        incl_sum += p_incl
        main = _main_component(s)
        # consecutive periods share a boundary: build that datetime once
        start_dt = previous_end_dt if s.start == previous_end else from_us(s.start)
        previous_end, previous_end_dt = s.end, from_us(s.end)
        periods.append(PricedPeriod(
            start_dt, previous_end_dt, s.kind, main.element_index if main else None,
            main.label if main else "Free", s.energy_kwh, _hours(s.time_s), _hours(s.parking_s),
            _hours(s.reservation_s), tuple(lines),
            Money(p_excl, p_incl), s.min_w, s.max_w, s.min_a, s.max_a))
    money = {name: Money(pair[0], pair[1]) for name, pair in sums.items()}

    min_adj, max_adj, excl_total, incl_total = _apply_min_max(excl_sum, incl_sum, min_price, max_price)
    totals = CdrTotals(
        total_cost=Money(excl_total, incl_total), total_fixed_cost=money["total_fixed_cost"],
        total_energy=energy_sum, total_energy_cost=money["total_energy_cost"], total_time=total_time_h,
        total_time_cost=money["total_time_cost"], total_parking_time=parking_sum / _SECONDS_PER_HOUR,
        total_parking_cost=money["total_parking_cost"], total_reservation_cost=money["total_reservation_cost"])
    return PricedSession(currency, tuple(periods), totals, min_adj, max_adj, tuple(rounded))


def _hours(seconds: Decimal) -> Decimal:
    return seconds / _SECONDS_PER_HOUR if seconds else ZERO


def _line(c, dimension: str, cdr_total: str, volume: Decimal, billed: Decimal, excl: Decimal) -> PricedLine:
    return PricedLine(dimension, cdr_total, c.element_index, c.label, volume, billed, c.price, c.vat, c.step_size,
                      Money(excl, excl * c.vat_factor))


def _time_line(c, dimension: str, cdr_total: str, seconds: Decimal, add: Decimal | None) -> PricedLine:
    billed = seconds + add if add is not None else seconds
    # divide last so an exact seconds * price loses no digits before the one division
    return _line(c, dimension, cdr_total, seconds / _SECONDS_PER_HOUR, billed / _SECONDS_PER_HOUR,
                 billed * c.price / _SECONDS_PER_HOUR)


def _main_component(s: Slice):
    if s.kind == CHARGING:
        return s.energy_c or s.time_c or s.flat_c
    if s.kind == PARKING:
        return s.parking_c or s.energy_c
    if s.kind == RESERVATION:
        return s.time_c or s.flat_c
    return s.energy_c or s.flat_c


def _apply_min_max(excl: Decimal, incl: Decimal, min_price, max_price):
    """min_price then max_price, each checked excl and incl VAT independently (OCPI Tariff notes)."""
    excl_total, incl_total = excl, incl
    if min_price is not None:
        excl_total = max(excl_total, Decimal(min_price.excl_vat))
        if min_price.incl_vat is not None:
            incl_total = max(incl_total, Decimal(min_price.incl_vat))
    min_adj = Money(excl_total - excl, incl_total - incl)
    capped_excl, capped_incl = excl_total, incl_total
    if max_price is not None:
        capped_excl = min(capped_excl, Decimal(max_price.excl_vat))
        if max_price.incl_vat is not None:
            capped_incl = min(capped_incl, Decimal(max_price.incl_vat))
    max_adj = Money(capped_excl - excl_total, capped_incl - incl_total)
    return min_adj, max_adj, capped_excl, capped_incl
