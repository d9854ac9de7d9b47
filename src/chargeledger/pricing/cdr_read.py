"""A CDR's own charging periods as engine slices: the CDR's dimensions are the quantities, periods are not split.

Restrictions are evaluated at each period's start: local time in the location's zone, energy charged before the
period, session duration so far, and the period's MIN/MAX power and current.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any

from chargeledger.pricing.compiled import CompiledTariff
from chargeledger.pricing.errors import CdrError
from chargeledger.pricing.restrictions import RESERVATION_EXPIRED, SESSION
from chargeledger.pricing.restrictions import RESERVATION as RESERVATION_PHASE
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION, WAITING, ZERO, Slice
from chargeledger.pricing.tariff_checks import parse_utc
from chargeledger.pricing.windows import to_us

_KNOWN = {"ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME", "MAX_CURRENT", "MIN_CURRENT", "MAX_POWER",
          "MIN_POWER"}
_SESSION_ONLY = {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}  # not priced
_SECONDS_PER_HOUR = Decimal(3600)
_W_PER_KW = Decimal(1000)
_MICROSECOND = Decimal("0.000001")
_DIVISION_TAIL = Decimal("1e-15")  # far below any duration a CDR states on purpose, far above a division's tail


def _instant(cdr: dict[str, Any], path: str, value: Any) -> int:
    if value is None:
        raise CdrError(path, "required")
    try:
        return to_us(parse_utc(value))
    except (TypeError, ValueError):
        raise CdrError(path, f"bad date-time {value!r}: expected RFC 3339 UTC") from None


def read_periods(cdr: Any) -> tuple[int, int, list[tuple[int, dict[str, Decimal]]]]:
    """(start µs, end µs, [(period start µs, {dimension: volume})]) after checking order and content."""
    if not isinstance(cdr, dict):
        raise CdrError("$", "must be a JSON object")
    start = _instant(cdr, "start_date_time", cdr.get("start_date_time"))
    end = _instant(cdr, "end_date_time", cdr.get("end_date_time"))
    if end < start:
        raise CdrError("end_date_time", "is before start_date_time: the session runs backwards")
    raw = cdr.get("charging_periods")
    if not isinstance(raw, list) or not raw:
        raise CdrError("charging_periods", "required: at least one charging period")
    periods = []
    previous = None
    for i, period in enumerate(raw):
        path = f"charging_periods[{i}]"
        if not isinstance(period, dict):
            raise CdrError(path, "must be a JSON object")
        at = _instant(cdr, path + ".start_date_time", period.get("start_date_time"))
        if previous is not None and at < previous:
            raise CdrError(path + ".start_date_time", "is before the previous period's start: periods run backwards")
        if previous is not None and at == previous:
            raise CdrError(path + ".start_date_time", "equals the previous period's start: periods overlap")
        if at < start or at > end:
            raise CdrError(path + ".start_date_time", "lies outside the CDR's start_date_time..end_date_time")
        previous = at
        periods.append((at, _dimensions(path, period.get("dimensions"))))
    return start, end, periods


def _dimensions(path: str, raw: Any) -> dict[str, Decimal]:
    if not isinstance(raw, list) or not raw:
        raise CdrError(path + ".dimensions", "required: a period needs at least one dimension")
    found: dict[str, Decimal] = {}
    for j, dim in enumerate(raw):
        dpath = f"{path}.dimensions[{j}]"
        kind = dim.get("type") if isinstance(dim, dict) else None
        volume = dim.get("volume") if isinstance(dim, dict) else None
        if kind in _SESSION_ONLY:
            continue
        if kind not in _KNOWN:
            raise CdrError(dpath + ".type", f"unknown dimension type {kind!r}")
        if isinstance(volume, bool) or not isinstance(volume, (int, Decimal)):
            raise CdrError(dpath + ".volume", "must be a JSON number (parsed as Decimal)")
        if kind in ("TIME", "PARKING_TIME", "RESERVATION_TIME") and volume < 0:
            raise CdrError(dpath + ".volume", "a duration cannot be negative")
        if kind in found:
            raise CdrError(dpath + ".type", f"{kind} appears twice in one period")
        found[kind] = Decimal(volume)
    return found


def cdr_slices(ct: CompiledTariff, cdr: Any, zone: tzinfo) -> tuple[list[Slice], Decimal]:
    """Engine slices for a CDR, and the CDR's total_time in hours (session, reservation excluded)."""
    start, end, periods = read_periods(cdr)
    has_session = any("RESERVATION_TIME" not in dims for _, dims in periods)
    reservation_phase = RESERVATION_PHASE if has_session else RESERVATION_EXPIRED  # no charging = it expired
    session_start = next((at for at, dims in periods if "RESERVATION_TIME" not in dims), start)
    slices = []
    wh = ZERO
    for i, (at, dims) in enumerate(periods):
        until = periods[i + 1][0] if i + 1 < len(periods) else end
        reserved = "RESERVATION_TIME" in dims
        low_w, high_w = _bounds(dims, "MIN_POWER", "MAX_POWER", _W_PER_KW)
        low_a, high_a = _bounds(dims, "MIN_CURRENT", "MAX_CURRENT", Decimal(1))
        phase = reservation_phase if reserved else SESSION
        duration = at - (start if reserved else session_start)
        mask = ct.calendar_mask_at(zone, at)
        energy_c, time_c, parking_c, flat_c = ct.select(phase, mask, wh, duration, low_w, high_w, low_a, high_a)
        energy = dims.get("ENERGY", ZERO)
        time_s = _seconds(dims.get("TIME", ZERO))
        parking_s = _seconds(dims.get("PARKING_TIME", ZERO))
        if reserved:
            kind = RESERVATION
        elif time_s > 0 or energy > 0:
            kind = CHARGING
        elif parking_s > 0:
            kind = PARKING
        else:
            kind = WAITING
        slices.append(Slice(at, until, kind, energy_c, time_c, parking_c, flat_c, energy_kwh=energy,
                            time_s=time_s, parking_s=parking_s,
                            reservation_s=_seconds(dims.get("RESERVATION_TIME", ZERO)),
                            min_w=low_w, max_w=high_w, min_a=low_a, max_a=high_a))
        wh += energy * 1000
    reservation_us = sum(s.end - s.start for s in slices if s.kind == RESERVATION)
    total_time_h = Decimal(end - start - reservation_us) / Decimal(3_600_000_000)
    return slices, total_time_h


def _seconds(hours: Decimal) -> Decimal:
    """Hours as seconds; hours written as a 28-digit repeating division (e.g. 7 min = 0.11666…7 h) give back the
    whole microseconds they came from, so a CDR we issue re-prices exactly like the session it describes."""
    seconds = hours * _SECONDS_PER_HOUR
    if seconds.adjusted() > 12:  # beyond 30,000 years quantize could overflow; nothing to snap there
        return seconds
    whole = seconds.quantize(_MICROSECOND)
    return whole if whole != seconds and abs(seconds - whole) < _DIVISION_TAIL else seconds


def _bounds(dims: dict[str, Decimal], low: str, high: str, scale: Decimal):
    # with one bound only, it stands for both: the period's power is known at that value
    lo = dims.get(low, dims.get(high))
    hi = dims.get(high, dims.get(low))
    return (None if lo is None else lo * scale), (None if hi is None else hi * scale)
