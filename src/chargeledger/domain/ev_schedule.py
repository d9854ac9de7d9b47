"""The charging schedule a CSMS answers an EV's charging needs with (OCPP 2.0.1 K15-K17, ISO 15118), and the check
of the schedule the EV then chose against it.

The EV tells how much energy it wants, by when, and the most (and, on AC, the least) it can draw. We level the load:
the lowest constant power that delivers the energy by departure, within the EV's maximum and the station's cap (its
share of the site's grid limit). A car that cannot draw that little charges at its minimum and then stops; a need
that cannot be met in time is charged at the ceiling for as long as there is, and the plan says it is short.
Powers are in watts with one decimal, as OCPP limits are: rounded down at ceilings, up where energy must be met."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

TENTH = Decimal("0.1")
VOLTS_PER_PHASE = Decimal(230)  # nominal; converts a schedule in amperes to watts
SQRT3 = Decimal(3).sqrt()


@dataclass(frozen=True, slots=True)
class Needs:
    energy_wh: Decimal | None  # None: as much as it takes (no amount given)
    max_power_w: Decimal
    min_power_w: Decimal
    departure: datetime | None


@dataclass(frozen=True, slots=True)
class Period:
    start_s: int  # from the schedule's start
    limit_w: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    start: datetime
    periods: tuple[Period, ...]
    duration_s: int | None
    feasible: bool  # the energy arrives by departure

    def delivered_wh(self) -> Decimal:
        """Energy the schedule allows, period by period up to its duration (its last period open-ended: none)."""
        total = Decimal(0)
        for here, after in zip(self.periods, self.periods[1:]):
            total += here.limit_w * (after.start_s - here.start_s)
        if self.duration_s is not None:
            total += self.periods[-1].limit_w * (self.duration_s - self.periods[-1].start_s)
        return total / 3600


def _up(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_CEILING)


def _down(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_DOWN)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def needs(charging_needs: dict, departure: datetime | None) -> Needs:
    """The library's ChargingNeedsType (snake_case). AC: the EV's voltage is taken as line-to-line on three phases
    (√3·V·I), the lower of the two readings a car may mean, so the plan never asks more than the car can take."""
    ac, dc = charging_needs.get("ac_charging_parameters"), charging_needs.get("dc_charging_parameters")
    if ac:
        three = str(charging_needs.get("requested_energy_transfer", "")).startswith("AC_three_phase")
        volts = Decimal(ac["ev_max_voltage"]) * (SQRT3 if three else 1)
        return Needs(Decimal(ac["energy_amount"]), volts * Decimal(ac["ev_max_current"]),
                     volts * Decimal(ac["ev_min_current"]), departure)
    if dc:
        most = _dec(dc.get("ev_max_power")) or Decimal(dc["ev_max_current"]) * Decimal(dc["ev_max_voltage"])
        energy = _dec(dc.get("energy_amount"))
        capacity, soc = _dec(dc.get("ev_energy_capacity")), _dec(dc.get("state_of_charge"))
        if energy is None and capacity is not None and soc is not None:
            full = _dec(dc.get("full_soc")) or Decimal(100)
            energy = max(Decimal(0), capacity * (full - soc) / 100)
        return Needs(energy, most, Decimal(0), departure)
    raise ValueError("charging needs without AC or DC charging parameters")


def ceiling_w(ev: Needs, station_cap_w: Decimal | None) -> Decimal:
    """The most we let this EV draw: its own maximum, and the station's cap when there is one."""
    most = ev.max_power_w if station_cap_w is None else min(ev.max_power_w, station_cap_w)
    return max(Decimal(0), _down(most))


def plan(ev: Needs, station_cap_w: Decimal | None, now: datetime, max_periods: int | None = None) -> Plan:
    ceiling = ceiling_w(ev, station_cap_w)
    seconds = int((ev.departure - now).total_seconds()) if ev.departure is not None else None
    if seconds is not None and seconds <= 0:
        seconds = None  # a departure already past says nothing of when to finish
    energy = ev.energy_wh
    if energy is None or ceiling == 0:
        return Plan(now, (Period(0, ceiling),), seconds, energy is None or energy == 0)
    if energy == 0:
        return Plan(now, (Period(0, Decimal(0)),), seconds, True)
    if seconds is None:  # no departure: as fast as allowed, done when the energy is in
        return Plan(now, (Period(0, ceiling),), _seconds_for(energy, ceiling), True)
    level = _up(energy * 3600 / seconds)
    if level > ceiling:  # short: all we may give, the whole time
        return Plan(now, (Period(0, ceiling),), seconds, False)
    least = _up(ev.min_power_w)
    if level < least <= ceiling:  # the car cannot draw that little: its minimum, then stop
        until = _seconds_for(energy, least)
        if until < seconds and (max_periods is None or max_periods >= 2):
            return Plan(now, (Period(0, least), Period(until, Decimal(0))), seconds, True)
        return Plan(now, (Period(0, least),), seconds, True)
    return Plan(now, (Period(0, level),), seconds, True)


def _seconds_for(energy_wh: Decimal, power_w: Decimal) -> int:
    return int((energy_wh * 3600 / power_w).to_integral_value(rounding=ROUND_CEILING))


def to_watts(limit, unit: str, phases: int | None) -> Decimal:
    value = Decimal(str(limit))
    return value if unit == "W" else value * VOLTS_PER_PHASE * (phases or 3)


@dataclass(frozen=True, slots=True)
class Step:
    """A schedule as absolute steps: from `at`, at most `limit_w`, until the next step (or `end`)."""
    at: datetime
    limit_w: Decimal


def steps(start: datetime, schedule: dict) -> tuple[list[Step], datetime | None]:
    """A ChargingScheduleType (snake_case) starting at `start`, in watts, with its end when it has a duration."""
    unit = schedule.get("charging_rate_unit", "W")
    found = [Step(start + timedelta(seconds=p["start_period"]), to_watts(p["limit"], unit, p.get("number_phases")))
             for p in sorted(schedule["charging_schedule_period"], key=lambda p: p["start_period"])]
    duration = schedule.get("duration")
    return found, (start + timedelta(seconds=duration) if duration is not None else None)


def _spans(found: list[Step], end: datetime | None):
    for here, after in zip(found, found[1:] + [None]):
        yield here.at, (after.at if after else end), here.limit_w


def within(ours: tuple[list[Step], datetime | None], theirs: tuple[list[Step], datetime | None]) -> bool:
    """Does the EV's schedule stay under ours wherever both apply (K16.FR.06, K17.FR.11)? Outside our schedule we
    set nothing, so nothing there can exceed it."""
    for t_from, t_to, t_limit in _spans(*theirs):
        for o_from, o_to, o_limit in _spans(*ours):
            overlaps = (o_to is None or t_from < o_to) and (t_to is None or o_from < t_to)
            if overlaps and t_limit > o_limit:
                return False
    return True
