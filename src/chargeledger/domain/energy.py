"""Session energy from the energy register, robust to the ways real meters fail.

The rule (PRODUCT.md): energy is stop minus start on Energy.Active.Import.Register, but each known failure mode of
real chargers is detected and flagged, and the energy is then taken from the plausible register increments only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from .flags import Flag, FlagCode
from .meter import Measurand, MeterLocation, MeterSample, Phase

# Above this the increment between two readings is not physically possible for any charger we know (1 MW).
DEFAULT_MAX_PLAUSIBLE_POWER_W = 1_000_000.0
# A reset brings the register back to a small number; a drop to above this is a rollover/replacement.
_RESET_CEILING_WH = 1_000.0


def _plain(value: float) -> str:
    """A reading as people write it in a flag: 25217000, 12.5 (never 2.5217e+07)."""
    return f"{value:,.0f}" if abs(value) >= 1000 or value == int(value) else f"{value:,.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class EnergyResult:
    energy_wh: float
    meter_start_wh: float | None
    meter_stop_wh: float | None
    flags: tuple[Flag, ...] = ()
    register: tuple[tuple[datetime, float], ...] = field(default=(), repr=False)


def _register_readings(samples: list[MeterSample]) -> tuple[list[tuple[datetime, float]], list[Flag]]:
    """The register over time; per-phase registers are summed when no total is given."""
    flags: list[Flag] = []
    energy = [s for s in samples if s.measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
              and s.location in (MeterLocation.OUTLET, MeterLocation.INLET)]
    negatives = [s for s in energy if s.value < 0]
    if negatives:
        flags.append(Flag(FlagCode.METER_NEGATIVE_VALUE,
                          f"{len(negatives)} negative register value(s) ignored (e.g. {_plain(negatives[0].value)})"))
    energy = [s for s in energy if s.value >= 0]
    totals = [s for s in energy if s.phase == Phase.NONE]
    if totals:
        by_time = {s.time: s.value for s in totals}
        return sorted(by_time.items()), flags
    per_phase: dict[datetime, dict[Phase, float]] = defaultdict(dict)
    for s in energy:
        per_phase[s.time][s.phase] = s.value
    if per_phase:
        flags.append(Flag(FlagCode.ENERGY_FROM_PHASES, "charger reported the register per phase only; phases summed"))
    return sorted((t, sum(v.values())) for t, v in per_phase.items()), flags


def session_energy(
    samples: list[MeterSample],
    meter_start_wh: float | None,
    meter_stop_wh: float | None,
    started_at: datetime | None,
    stopped_at: datetime | None,
    max_power_w: float = DEFAULT_MAX_PLAUSIBLE_POWER_W,
) -> EnergyResult:
    readings, flags = _register_readings(samples)
    if samples and not readings:
        flags.append(Flag(FlagCode.METER_VALUES_WITHOUT_ENERGY,
                          "meter values carried no energy register; the transaction's start and stop are used"))
    series: list[tuple[datetime | None, float]] = []
    if meter_start_wh is not None and meter_start_wh >= 0:
        series.append((started_at, float(meter_start_wh)))
    elif meter_start_wh is not None:
        flags.append(Flag(FlagCode.METER_NEGATIVE_VALUE, f"meter start {_plain(meter_start_wh)} Wh ignored"))
    series.extend(readings)
    stop_value = None
    if meter_stop_wh is not None:
        if meter_stop_wh < 0:
            flags.append(Flag(FlagCode.METER_NEGATIVE_VALUE, f"meter stop {_plain(meter_stop_wh)} Wh ignored"))
        else:
            stop_value = float(meter_stop_wh)
            series.append((stopped_at, stop_value))
    if not series:
        flags.append(Flag(FlagCode.NO_METER_VALUES, "no meter start, stop or register values"))
        return EnergyResult(0.0, None, None, tuple(flags))

    start_value = series[0][1]
    if stop_value is not None and meter_start_wh is not None and 0 <= stop_value < meter_start_wh and not readings:
        flags.append(Flag(FlagCode.METER_STOP_BELOW_START,
                          f"meter stop {_plain(stop_value)} Wh is below meter start {_plain(meter_start_wh)} Wh; energy set to 0"))
        return EnergyResult(0.0, meter_start_wh, stop_value, tuple(flags), tuple((t, v) for t, v in series if t))

    total = 0.0
    prev_time, prev = series[0]
    effective_start = start_value
    for index, (time, value) in enumerate(series[1:], start=1):
        delta = value - prev
        seconds = (time - prev_time).total_seconds() if time and prev_time else None
        if delta < 0:
            is_final_stop = stop_value is not None and index == len(series) - 1
            if is_final_stop and value < start_value:
                flags.append(Flag(FlagCode.METER_STOP_BELOW_START,
                                  f"meter stop {_plain(value)} Wh is below meter start {_plain(start_value)} Wh; "
                                  "energy taken from the register samples"))
                break
            if value <= _RESET_CEILING_WH or value < prev / 2:
                flags.append(Flag(FlagCode.METER_REGISTER_RESET,
                                  f"register fell from {_plain(prev)} to {_plain(value)} Wh; counted on from the new value"))
                total += value if value <= _RESET_CEILING_WH else 0.0
            else:
                flags.append(Flag(FlagCode.METER_JUMP, f"register went back from {_plain(prev)} to {_plain(value)} Wh; ignored"))
                continue
        elif seconds is not None and seconds >= 0 and delta > max_power_w * max(seconds, 1.0) / 3600.0:
            if index == 1 and meter_start_wh is not None and meter_start_wh == series[0][1]:
                flags.append(Flag(FlagCode.METER_START_LIFETIME_TOTAL,
                                  f"first reading {_plain(value)} Wh after a meter start of {_plain(prev)} Wh is the charger's "
                                  "lifetime total (offline start); the session starts from it"))
                effective_start = value
            else:
                flags.append(Flag(FlagCode.METER_JUMP,
                                  f"register jumped by {_plain(delta)} Wh in {_plain(seconds)} s; increment not counted"))
        else:
            total += delta
        prev_time, prev = time, value
    stop_reported = stop_value if stop_value is not None else (readings[-1][1] if readings else None)
    return EnergyResult(
        energy_wh=max(total, 0.0),
        meter_start_wh=effective_start,
        meter_stop_wh=stop_reported,
        flags=tuple(flags),
        register=tuple((t, v) for t, v in series if t is not None),
    )
