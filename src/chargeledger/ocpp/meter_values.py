"""OCPP meterValue lists (1.6 and 2.0.1) into MeterSamples in base units; unreadable values are skipped, logged."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any

from ..domain.meter import UNIT_SCALE, Measurand, MeterLocation, MeterSample, Phase

log = logging.getLogger(__name__)

# The unit OCPP assumes when a sampled value names none.
_DEFAULT_UNIT = {Measurand.ENERGY_ACTIVE_IMPORT_REGISTER: "Wh", Measurand.ENERGY_ACTIVE_EXPORT_REGISTER: "Wh",
                 Measurand.POWER_ACTIVE_IMPORT: "W", Measurand.POWER_OFFERED: "W", Measurand.CURRENT_IMPORT: "A",
                 Measurand.CURRENT_OFFERED: "A", Measurand.VOLTAGE: "V", Measurand.SOC: "Percent"}


class BadTimestamp(ValueError):
    pass


def parse_time(value: Any) -> datetime:
    """OCPP times are ISO 8601; a time without an offset is taken as UTC, as chargers that omit 'Z' mean it."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadTimestamp(f"{value!r} is not an ISO 8601 time") from exc
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def samples(meter_values: list[dict] | None, where: str) -> list[MeterSample]:
    """Snake-case meterValue dicts (as the ocpp library hands them over) of either version."""
    out: list[MeterSample] = []
    for mv in meter_values or []:
        try:
            time = parse_time(mv.get("timestamp"))
        except BadTimestamp as exc:
            log.warning("%s: meter value skipped: %s", where, exc)
            continue
        for sv in mv.get("sampled_value") or []:
            sample = _sample(time, sv)
            if isinstance(sample, str):
                log.warning("%s: sampled value %s skipped: %s", where, sv, sample)
            elif sample is not None:
                out.append(sample)
    return out


def _sample(time: datetime, sv: dict) -> MeterSample | str | None:
    if sv.get("format") == "SignedData":
        return None  # 1.6 signed blobs carry no number to read
    measurand = Measurand.from_ocpp(sv.get("measurand"))
    if measurand is None:
        return None  # a measurand we do not keep (temperature, frequency…)
    uom = sv.get("unit_of_measure") or {}
    unit = sv.get("unit") or uom.get("unit") or _DEFAULT_UNIT[measurand]
    if unit not in UNIT_SCALE:
        return f"unknown unit {unit!r}"
    try:
        value = float(sv.get("value")) * UNIT_SCALE[unit] * 10 ** int(uom.get("multiplier", 0))
        phase = Phase.from_ocpp(sv.get("phase"))
        location = MeterLocation.from_ocpp(sv.get("location"))
    except (TypeError, ValueError, KeyError) as exc:
        return f"unreadable ({type(exc).__name__}: {exc})"
    if value != value or value in (float("inf"), float("-inf")):
        return "not a finite number"
    return MeterSample(time, measurand, value, phase, location)


def register_wh(found: list[MeterSample], contexts: list[dict] | None = None) -> float | None:
    """The total energy register among samples (for a transaction's meter start/stop), if one was sent."""
    totals = [s for s in found if s.measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
              and s.phase == Phase.NONE and s.location == MeterLocation.OUTLET]
    return totals[-1].value if totals else None


def readings_digest(found: list[MeterSample]) -> str:
    """A short fingerprint of readings: a resent message has the same one, a corrected reading another."""
    text = ";".join(f"{s.time.isoformat()},{int(s.measurand)},{int(s.phase)},{int(s.location)},{s.value!r}"
                    for s in found)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
