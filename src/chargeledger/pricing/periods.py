"""ChargeLedger's own session usage cut into charging periods, one per stretch where no price component changes.

Cuts happen at: every sample (state may change), every local-time window boundary (time of day, day of week,
date, DST change), every duration threshold, every kWh threshold (the crossing moment is interpolated linearly
between samples), and charging <-> parking. Adjacent pieces with the same active components are merged again.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta, tzinfo
from decimal import Decimal

from chargeledger.pricing.compiled import CompiledTariff
from chargeledger.pricing.errors import UsageError
from chargeledger.pricing.restrictions import RESERVATION as RESERVATION_PHASE
from chargeledger.pricing.restrictions import RESERVATION_EXPIRED
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION, WAITING, ZERO, Slice
from chargeledger.pricing.usage import Usage
from chargeledger.pricing.windows import EPOCH, to_us

_US_PER_S = Decimal(1_000_000)
_ONE_US = timedelta(microseconds=1)
_NEVER = 1 << 62  # an instant after every session
_WH_PER_KWH = Decimal(1000)


def _samples(usage: Usage, start: int, end: int) -> list[tuple]:
    points = []
    previous_t, previous_e = start, ZERO
    for i, p in enumerate(usage.samples):
        moment = p.time
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: pricing needs aware UTC datetimes")
        t = (moment - EPOCH) // _ONE_US  # to_us() inlined: this runs for every sample of every session
        if t < previous_t:
            raise UsageError(f"samples[{i}].time is before the previous sample or the session start")
        if t > end:
            raise UsageError(f"samples[{i}].time is after the session end")
        energy = p.energy_wh
        if energy < previous_e:
            raise UsageError(f"samples[{i}].energy_wh falls ({energy} < {previous_e}); "
                             "the session projection must resolve meter faults before pricing")
        points.append((t, energy, p.power_w, p.current_a, p.charging))
        previous_t, previous_e = t, energy
    if not points:
        return [(start, ZERO, None, None, False)]
    first = points[0]
    if first[0] > start:
        points.insert(0, (start, ZERO, first[2], first[3], first[4]))
    return points


def usage_slices(ct: CompiledTariff, usage: Usage, zone: tzinfo) -> list[Slice]:
    start, end = to_us(usage.start), to_us(usage.end)
    if end < start:
        raise UsageError("end is before start")
    slices: list[Slice] = []
    if usage.reservation is not None:
        _reservation_slices(ct, usage, zone, slices)
    points = _samples(usage, start, end)
    cal_starts, cal_ids = ct.calendar(zone, start, end)
    duration_at = [start + d for d in ct.duration_thresholds_us]  # absolute instants, ascending
    durations = [at for at in duration_at if at < end]
    cuts = sorted(set(cal_starts[1:]).union(durations)) if durations else cal_starts[1:]
    kwh = ct.kwh_thresholds_wh
    power_t, current_t = ct.power_thresholds_w, ct.current_thresholds_a
    cache, choose = ct.usage_cache, ct.choose_for_usage
    # pointers into the calendar segments and the duration thresholds: time only moves forward
    ci, n_cal = 0, len(cal_starts)
    mask = cal_ids[0]
    next_cal = cal_starts[1] if n_cal > 1 else _NEVER
    di, n_dur = 0, len(duration_at)
    next_dur = duration_at[0] if n_dur else _NEVER
    ki, n_cuts = 0, len(cuts)
    started = flat_found = False
    current: Slice | None = None
    n = len(points)
    for i in range(n):
        a, ea, power, amps, charging = points[i]
        if i + 1 < n:
            b, eb = points[i + 1][0], points[i + 1][1]
        else:
            b, eb = end, ea
        if b <= a:
            continue
        started = started or charging
        kind = CHARGING if charging else (PARKING if started else WAITING)
        # the power/current bucket holds for the whole sample interval
        pkey = (-1 if power is None else bisect_right(power_t, power)) if power_t else 0
        akey = (-1 if amps is None else bisect_right(current_t, amps)) if current_t else 0
        while ki < n_cuts and cuts[ki] <= a:
            ki += 1
        if (ki < n_cuts and cuts[ki] < b) or (kwh and eb > ea):
            inner = _inner_cuts(cuts, ki, a, b, ea, eb, kwh)
        else:
            inner = ((b, eb),)  # the common case: nothing changes inside this sample interval
        p0, e0 = a, ea
        for p1, e1 in inner:
            if p1 <= p0:
                continue
            if e1 is None:  # linear energy between samples
                e1 = ea + (eb - ea) * (p1 - a) / (b - a) if eb != ea else ea
            while p0 >= next_cal:
                ci += 1
                mask = cal_ids[ci]
                next_cal = cal_starts[ci + 1] if ci + 1 < n_cal else _NEVER
            while p0 >= next_dur:
                di += 1
                next_dur = duration_at[di] if di < n_dur else _NEVER
            key = (kind, flat_found, mask, bisect_right(kwh, e0) if kwh else 0, di, pkey, akey)
            chosen = cache.get(key)
            if chosen is None:
                chosen = choose(key, kind, flat_found, mask, e0, p0 - start, power, amps)
            if current is not None and current.key is chosen and current.end == p0:
                current.end = p1
                current.energy_kwh += e1 - e0
                if power is not None:
                    if current.min_w is None or power < current.min_w:
                        current.min_w = power
                    if current.max_w is None or power > current.max_w:
                        current.max_w = power
                if amps is not None:
                    if current.min_a is None or amps < current.min_a:
                        current.min_a = amps
                    if current.max_a is None or amps > current.max_a:
                        current.max_a = amps
            else:
                _, energy_c, time_c, parking_c, flat_c = chosen
                current = Slice(p0, p1, kind, energy_c, time_c, parking_c, flat_c, e1 - e0, ZERO, ZERO, ZERO,
                                chosen, power, power, amps, amps)
                slices.append(current)
                if flat_c is not None:
                    flat_found = True
            p0, e0 = p1, e1
    for s in slices:
        kind = s.kind
        if kind is RESERVATION:
            continue
        s.energy_kwh = s.energy_kwh / _WH_PER_KWH
        if kind is CHARGING:
            s.time_s = Decimal(s.end - s.start) / _US_PER_S
        elif kind is PARKING:
            s.parking_s = Decimal(s.end - s.start) / _US_PER_S
    return slices


def _inner_cuts(cuts: list[int], ki: int, a: int, b: int, ea: Decimal, eb: Decimal,
                kwh: list[Decimal]) -> list[tuple]:
    """Moments inside (a, b) where something may change, with the energy at each (None: interpolate), then b."""
    inner = []
    n_cuts = len(cuts)
    while ki < n_cuts and cuts[ki] < b:
        inner.append((cuts[ki], None))
        ki += 1
    if kwh and eb > ea:
        for threshold in kwh:
            if ea < threshold < eb:
                at = a + int((threshold - ea) * (b - a) / (eb - ea))
                if a < at < b:
                    inner.append((at, threshold))
        inner.sort(key=lambda cut: cut[0])
    inner.append((b, eb))
    return inner


def _reservation_slices(ct: CompiledTariff, usage: Usage, zone: tzinfo, slices: list[Slice]) -> None:
    r = usage.reservation
    start, end = to_us(r.start), to_us(r.end)
    if end < start:
        raise UsageError("reservation.end is before reservation.start")
    phase = RESERVATION_EXPIRED if r.expired else RESERVATION_PHASE
    cal_starts, cal_ids = ct.calendar(zone, start, end)
    cuts = [start + d for d in ct.duration_thresholds_us if start + d < end]
    bounds = sorted(set(cal_starts).union(cuts)) + [end]
    flat_found = False
    current = None
    ci = 0
    for p0, p1 in zip(bounds, bounds[1:]):
        if p1 <= p0:
            continue
        while ci + 1 < len(cal_starts) and cal_starts[ci + 1] <= p0:
            ci += 1
        _, time_c, _, flat_c = ct.select(phase, cal_ids[ci], ZERO, p0 - start, None, None, None, None)
        flat_c = None if flat_found else flat_c
        key = (time_c, flat_c)
        if current is not None and current.key == key:
            current.end = p1
        else:
            current = Slice(p0, p1, RESERVATION, None, time_c, None, flat_c, key=key)
            slices.append(current)
            flat_found = flat_found or flat_c is not None
    for s in slices:
        s.reservation_s = Decimal(s.end - s.start) / _US_PER_S
