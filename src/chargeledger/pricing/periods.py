"""ChargeLedger's own session usage cut into charging periods, one per stretch where no price component changes.

Cuts happen at: every sample (state may change), every local-time window boundary (time of day, day of week,
date, DST change), every duration threshold, every kWh threshold (the crossing moment is interpolated linearly
between samples), and charging <-> parking. Adjacent pieces with the same active components are merged again.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from chargeledger.pricing.compiled import CompiledTariff
from chargeledger.pricing.errors import UsageError
from chargeledger.pricing.restrictions import RESERVATION as RESERVATION_PHASE
from chargeledger.pricing.restrictions import RESERVATION_EXPIRED, SESSION
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION, WAITING, ZERO, Slice
from chargeledger.pricing.usage import Usage
from chargeledger.pricing.windows import to_us

_US_PER_S = Decimal(1_000_000)
_WH_PER_KWH = Decimal(1000)


def _samples(usage: Usage, start: int, end: int) -> list[tuple]:
    points = []
    previous_t, previous_e = start, ZERO
    for i, p in enumerate(usage.samples):
        t = to_us(p.time)
        if t < previous_t:
            raise UsageError(f"samples[{i}].time is before the previous sample or the session start")
        if t > end:
            raise UsageError(f"samples[{i}].time is after the session end")
        if p.energy_wh < previous_e:
            raise UsageError(f"samples[{i}].energy_wh falls ({p.energy_wh} < {previous_e}); "
                             "the session projection must resolve meter faults before pricing")
        points.append((t, p.energy_wh, p.power_w, p.current_a, p.charging))
        previous_t, previous_e = t, p.energy_wh
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
    durations = [start + d for d in ct.duration_thresholds_us if start + d < end]
    cuts = sorted(set(cal_starts[1:]).union(durations)) if durations else cal_starts[1:]
    kwh = ct.kwh_thresholds_wh
    select = ct.select
    ci, ki = 0, 0  # calendar segment index, next cut index
    n_cal, n_cuts = len(cal_starts), len(cuts)
    started = False
    flat_found = False
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
        # moments inside (a, b) where something may change, with the energy at each
        inner = []
        while ki < n_cuts and cuts[ki] <= a:
            ki += 1
        k2 = ki
        while k2 < n_cuts and cuts[k2] < b:
            inner.append((cuts[k2], None))
            k2 += 1
        if kwh and eb > ea:
            for threshold in kwh:
                if ea < threshold < eb:
                    at = a + int((threshold - ea) * (b - a) / (eb - ea))
                    if a < at < b:
                        inner.append((at, threshold))
            inner.sort(key=lambda cut: cut[0])
        inner.append((b, eb))
        p0, e0 = a, ea
        for p1, e1 in inner:
            if p1 <= p0:
                continue
            if e1 is None:  # linear energy between samples
                e1 = ea + (eb - ea) * (p1 - a) / (b - a) if eb != ea else ea
            while ci + 1 < n_cal and cal_starts[ci + 1] <= p0:
                ci += 1
            energy_c, time_c, parking_c, flat_c = select(SESSION, cal_ids[ci], e0, p0 - start,
                                                         power, power, amps, amps)
            if kind is CHARGING:
                parking_c = None
            elif kind is PARKING:
                time_c = None
            else:
                time_c = parking_c = None
            if flat_found:
                flat_c = None
            key = (kind, energy_c, time_c, parking_c, flat_c)
            if current is not None and current.key == key and current.end == p0:
                current.end = p1
                current.energy_kwh += e1 - e0
                _widen(current, power, amps)
            else:
                current = Slice(p0, p1, kind, energy_c, time_c, parking_c, flat_c, energy_kwh=e1 - e0, key=key,
                                min_w=power, max_w=power, min_a=amps, max_a=amps)
                slices.append(current)
                if flat_c is not None:
                    flat_found = True
            p0, e0 = p1, e1
    for s in slices:
        if s.kind is RESERVATION:
            continue
        s.energy_kwh = s.energy_kwh / _WH_PER_KWH
        seconds = Decimal(s.end - s.start) / _US_PER_S
        if s.kind is CHARGING:
            s.time_s = seconds
        elif s.kind is PARKING:
            s.parking_s = seconds
    return slices


def _widen(s: Slice, power, amps) -> None:
    if power is not None:
        s.min_w = power if s.min_w is None else min(s.min_w, power)
        s.max_w = power if s.max_w is None else max(s.max_w, power)
    if amps is not None:
        s.min_a = amps if s.min_a is None else min(s.min_a, amps)
        s.max_a = amps if s.max_a is None else max(s.max_a, amps)


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
