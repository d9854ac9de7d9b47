"""The Schedule card's charge profile drawn over the power curve: the same telemetry chart gets a dashed step line
"Power limit (kW)" on the power axis, with the steps in words beside it (the text alternative)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chargeledger.ocpp import charging_profiles
from tests.builders import at
from tests.web.live import login, shot
# canvas pixels in the limit line's colour (#37474f): only the step line is drawn in it (its axis is power's)
LIMIT_INK = """sel => { const c = document.querySelector(sel + ' canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 55) + Math.abs(d[i + 1] - 71) + Math.abs(d[i + 2] - 79) < 30
    && d[i + 3] > 200) n++; return n; }"""

pytestmark = pytest.mark.browser
PROFILE = {"charging_profile_id": 7, "stack_level": 0, "charging_profile_purpose": "TxDefaultProfile",
           "charging_profile_kind": "Absolute",
           "charging_schedule": {"start_schedule": at(0).isoformat(), "charging_rate_unit": "W",
                                 "charging_schedule_period": [{"start_period": 0, "limit": 11000},
                                                              {"start_period": 3600, "limit": 7400}]}}


def test_the_charge_profile_is_drawn_over_the_power_curve_with_a_text_alternative(world):
    server, page = world["server"], world["page"]
    charging_profiles.accepted(world["engine"], "CP-1", 0, PROFILE, at(0))
    session_id = world["ids"]["completed"]
    login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
    expect(page.get_by_test_id("schedule-card")).to_contain_text("TxDefaultProfile")

    chart = page.request.get(f"{server.url}/api/sessions/{session_id}/chart").json()
    series = dict(zip(chart["telemetry"]["time"], chart["telemetry"]["limit_kw"]))
    assert series[at(60).timestamp()] == 7.4  # the step at 3600 s is a point of the chart
    assert {v for t, v in series.items() if t < at(60).timestamp()} == {11.0}

    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    toggle = page.locator('input[data-series="limit_kw"]')
    expect(toggle).to_be_checked()
    expect(page.locator("#chart-limit-note")).to_have_text(
        "Power limit from TxDefaultProfile #7: 11 kW from 2024-03-05 09:00; 7.4 kW from 2024-03-05 10:00.")
    expect(page.locator("#chart-telemetry")).to_have_attribute("aria-label", "Telemetry chart: Power (kW), "
        "Energy (kWh), Power limit (kW). Power limit from TxDefaultProfile #7: 11 kW from 2024-03-05 09:00; "
        "7.4 kW from 2024-03-05 10:00.")
    shot(page, "session-schedule-overlay.png")
    assert page.evaluate(LIMIT_INK, "#chart-telemetry") > 300  # the step line is drawn
    toggle.uncheck()
    assert page.evaluate(LIMIT_INK, "#chart-telemetry") == 0
    # the power curve and its limit share one axis: no third axis appears with the limit
    assert page.locator("#chart-telemetry .u-axis").count() == 3
