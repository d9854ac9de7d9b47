"""The schedule answering an EV's charging needs: never above the EV's maximum or the station's cap, the energy in by
departure whenever the ceiling allows it, and the EV's schedule checked against ours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from chargeledger.domain import ev_schedule as ev

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=timezone.utc)
powers = st.decimals(min_value=D("0"), max_value=D("350000"), places=1)


@settings(max_examples=300, deadline=None)
@given(energy=st.none() | st.decimals(min_value=D(0), max_value=D("200000"), places=0),
       most=powers, least=powers, cap=st.none() | powers,
       minutes=st.none() | st.integers(-30, 24 * 60), max_periods=st.none() | st.integers(1, 5))
def test_never_above_the_limits_and_in_time_when_it_can_be(energy, most, least, cap, minutes, max_periods):
    departure = NOW + timedelta(minutes=minutes) if minutes is not None else None
    needs = ev.Needs(energy, most, least, departure)
    plan = ev.plan(needs, cap, NOW, max_periods)
    ceiling = min(most, cap) if cap is not None else most
    assert all(D(0) <= p.limit_w <= ceiling for p in plan.periods)
    assert all(p.limit_w == p.limit_w.quantize(D("0.1")) for p in plan.periods)  # one decimal, as OCPP allows
    assert [p.start_s for p in plan.periods] == sorted({p.start_s for p in plan.periods})
    assert max_periods is None or len(plan.periods) <= max_periods
    seconds = (departure - NOW).total_seconds() if departure is not None else None
    if energy and seconds and seconds > 0 and energy <= ceiling.quantize(D("0.1")) * D(seconds) / 3600:
        assert plan.feasible and plan.duration_s == seconds and plan.delivered_wh() >= energy
    elif energy and seconds and seconds > 0:
        assert not plan.feasible  # short: said so, and all the ceiling gives
        assert plan.periods == (ev.Period(0, ceiling),)
    if energy and ceiling and (seconds is None or seconds <= 0):  # no departure: done when the energy is in
        assert plan.delivered_wh() >= energy


def test_load_is_levelled_over_the_stay():
    needs = ev.needs({"requested_energy_transfer": "AC_three_phase", "ac_charging_parameters": {
        "energy_amount": 30000, "ev_min_current": 6, "ev_max_current": 32, "ev_max_voltage": 400}},
        NOW + timedelta(hours=5))
    assert needs.max_power_w.quantize(D(1)) == D(22170)  # √3 · 400 V · 32 A
    plan = ev.plan(needs, D("11000"), NOW)
    assert plan.periods == (ev.Period(0, D("6000.0")),) and plan.duration_s == 5 * 3600 and plan.feasible


def test_a_car_that_cannot_draw_so_little_charges_at_its_minimum_then_stops():
    needs = ev.Needs(D(5000), D(11000), D(4140), NOW + timedelta(hours=8))
    plan = ev.plan(needs, None, NOW)
    assert plan.periods == (ev.Period(0, D(4140)), ev.Period(4348, D(0)))
    assert plan.delivered_wh() >= 5000


def test_dc_needs_from_capacity_and_state_of_charge():
    needs = ev.needs({"requested_energy_transfer": "DC", "dc_charging_parameters": {
        "ev_max_current": 200, "ev_max_voltage": 800, "ev_max_power": 150000, "ev_energy_capacity": 80000,
        "state_of_charge": 20, "full_soc": 80}}, None)
    assert (needs.energy_wh, needs.max_power_w) == (D(48000), D(150000))
    with pytest.raises(ValueError):
        ev.needs({"requested_energy_transfer": "DC"}, None)


def test_the_evs_schedule_is_checked_against_ours():
    ours = ev.steps(NOW, {"charging_rate_unit": "W", "duration": 3600, "charging_schedule_period": [
        {"start_period": 0, "limit": 11000.0}, {"start_period": 1800, "limit": 7000.0}]})
    under = ev.steps(NOW + timedelta(minutes=10), {"charging_rate_unit": "A", "charging_schedule_period": [
        {"start_period": 0, "limit": 15, "number_phases": 3}, {"start_period": 1200, "limit": 10}]})
    over = ev.steps(NOW + timedelta(minutes=10), {"charging_rate_unit": "W", "charging_schedule_period": [
        {"start_period": 0, "limit": 11000}, {"start_period": 1500, "limit": 9000}]})  # 9 kW from minute 35
    assert ev.within(ours, under)  # 15 A · 3 · 230 V = 10.35 kW, then 6.9 kW from minute 30
    assert not ev.within(ours, over)
    late = ev.steps(NOW + timedelta(hours=2), {"charging_rate_unit": "W", "charging_schedule_period": [
        {"start_period": 0, "limit": 22000}]})
    assert ev.within(ours, late)  # after our schedule ends we set nothing
