"""step_size rounding (OCPI CDR module): once per session on the total of a dimension, with the step of the last
component used; the extra volume is billed on that last slice. TIME and PARKING_TIME are rounded together: when
parking was priced only the parking total is rounded, charging time is not (PRODUCT.md, Pricing).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from chargeledger.pricing.slices import RESERVATION, ZERO, Slice

_WH_PER_KWH = Decimal(1000)
_NOISE = Decimal("1e-9")


class StepExtras:
    """Which slice carries the rounding extra of each dimension, and how much (kWh for energy, seconds for time)."""

    __slots__ = ("energy", "energy_extra", "time", "time_extra", "time_dimension", "reservation",
                 "reservation_extra", "rounded")

    def __init__(self) -> None:
        self.energy = self.time = self.reservation = None  # the slice, or None when nothing is added
        self.energy_extra = self.time_extra = self.reservation_extra = ZERO
        self.time_dimension = "TIME"
        self.rounded: tuple[str, ...] = ()


def round_up(total: Decimal, step: int) -> Decimal:
    """Smallest multiple of step that is >= total (total in Wh or seconds)."""
    # hours like 61/60 arrive with a 1e-24 s tail from a repeating division; that must not bill a whole extra step
    exact = total.quantize(_NOISE)
    if exact % step == 0:
        return total if exact == total else exact
    return (exact / step).to_integral_value(rounding=ROUND_CEILING) * step


def step_extras(slices: list[Slice]) -> StepExtras:
    """One pass over the slices: the last priced slice and the total per dimension, then the rounding extras."""
    last_e = last_t = last_p = last_r = None
    total_e = total_t = total_p = total_r = ZERO
    for s in slices:
        if s.kind is RESERVATION:
            if s.time_c is not None and s.reservation_s > 0:
                last_r, total_r = s, total_r + s.reservation_s
            continue
        if s.energy_c is not None and s.energy_kwh > 0:
            last_e, total_e = s, total_e + s.energy_kwh
        if s.time_c is not None and s.time_s > 0:
            last_t, total_t = s, total_t + s.time_s
        if s.parking_c is not None and s.parking_s > 0:
            last_p, total_p = s, total_p + s.parking_s
    out = StepExtras()
    rounded = []  # only real rounding up: stripping a division's 1e-24 tail changes the volume but rounds nothing
    if last_e is not None:
        billed = round_up(total_e * _WH_PER_KWH, last_e.energy_c.step_size) / _WH_PER_KWH
        if billed != total_e:
            out.energy, out.energy_extra = last_e, billed - total_e
            if billed - total_e > _NOISE:
                rounded.append("ENERGY")
    # TIME is only rounded when no parking was priced (charging followed by parking is not rounded)
    if last_p is not None:
        last, total, step, out.time_dimension = last_p, total_p, last_p.parking_c.step_size, "PARKING_TIME"
    elif last_t is not None:
        last, total, step = last_t, total_t, last_t.time_c.step_size
    else:
        last = None
    if last is not None:
        billed = round_up(total, step)
        if billed != total:
            out.time, out.time_extra = last, billed - total
            if billed - total > _NOISE:
                rounded.append(out.time_dimension)
    if last_r is not None:
        billed = round_up(total_r, last_r.time_c.step_size)
        if billed != total_r:
            out.reservation, out.reservation_extra = last_r, billed - total_r
            if billed - total_r > _NOISE:
                rounded.append("RESERVATION")
    out.rounded = tuple(rounded)
    return out
