"""PricedPeriod and PricedLine objects from priced slices, built only when a caller reads `PricedSession.periods`.

The numbers are the ones totals.py summed (kept on each slice); this module only converts units and wraps them.
"""

from __future__ import annotations

from decimal import Decimal

from chargeledger.pricing.result import Money, PricedLine, PricedPeriod, ZERO
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION, Slice
from chargeledger.pricing.windows import from_us

_SECONDS_PER_HOUR = Decimal(3600)
_TIME_DIMENSIONS = {"TIME", "PARKING_TIME"}
_new = tuple.__new__  # every field is given, so skip the NamedTuple's Python-level __new__ (a third of its cost)


def build_periods(slices: list[Slice]) -> tuple[PricedPeriod, ...]:
    periods = []
    previous_end, previous_end_dt = None, None
    for s in slices:
        lines = tuple(_line(*raw) for raw in s.lines)
        main = _main_component(s)
        # consecutive periods share a boundary: build that datetime once
        start_dt = previous_end_dt if s.start == previous_end else from_us(s.start)
        previous_end, previous_end_dt = s.end, from_us(s.end)
        periods.append(_new(PricedPeriod, (
            start_dt, previous_end_dt, s.kind, main.element_index if main else None,
            main.label if main else "Free", s.energy_kwh, _hours(s.time_s), _hours(s.parking_s),
            _hours(s.reservation_s), lines, Money(s.excl, s.incl), s.min_w, s.max_w, s.min_a, s.max_a)))
    return tuple(periods)


def _line(c, dimension: str, cdr_total: str, volume: Decimal, billed: Decimal, excl: Decimal,
          incl: Decimal) -> PricedLine:
    if dimension in _TIME_DIMENSIONS:  # slices count seconds; lines show hours
        volume, billed = volume / _SECONDS_PER_HOUR, billed / _SECONDS_PER_HOUR
    return _new(PricedLine, (dimension, cdr_total, c.element_index, c.label, volume, billed, c.price, c.vat,
                             c.step_size, Money(excl, incl)))


def _hours(seconds: Decimal) -> Decimal:
    return seconds / _SECONDS_PER_HOUR if seconds else ZERO


def _main_component(s: Slice):
    if s.kind == CHARGING:
        return s.energy_c or s.time_c or s.flat_c
    if s.kind == PARKING:
        return s.parking_c or s.energy_c
    if s.kind == RESERVATION:
        return s.time_c or s.flat_c
    return s.energy_c or s.flat_c
