"""The session page against the demo's simulated chargers (1.6 and 2.0.1, ocpp/simulated/): Stop charge ends a live
session within 10 s, and End session closes one the charger will never end, with a reason, in the ledger."""

from __future__ import annotations

import asyncio
import random
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from chargeledger.directory import registry
from chargeledger.domain.network import Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Station
from chargeledger.ocpp.simulated.drive import SimulatedStation
from chargeledger.storage.tables import sessions
from tests.web.live import login, shot

pytestmark = pytest.mark.browser
START = {"1.6": ("RemoteStartTransaction", {"idTag": "AA11", "connectorId": 1}),
         "2.0.1": ("RequestStartTransaction", {"idToken": {"idToken": "AA11", "type": "Central"},
                                               "remoteStartId": 3, "evseId": 1})}


def _add_station(engine, station_id: str, version: str) -> None:
    plug = Connector(1, ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), 3)
    registry.add_station(engine, Station(
        station_id, "ACME", "ACME-SITE", f"{station_id} name", serial_number=f"SN-{station_id}",
        sticker_id=f"ST-{station_id}", vendor="ChargeLedger", model="SimCharger", ocpp_version=OcppVersion(version),
        evses=(Evse(f"NL*ACM*E{station_id.replace('-', '')}*1", 1, (plug,)),)), unsecured=True)


def _charging_session(engine, station_id: str, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            row = conn.execute(select(sessions.c.id, sessions.c.status).where(sessions.c.station_id == station_id)
                               .order_by(sessions.c.id.desc()).limit(1)).first()
        if row is not None and row.status == "Charging":
            return row.id
        time.sleep(0.1)
    raise AssertionError(f"no charging session on {station_id}")


@pytest.fixture
def simulated(world):
    """Start a simulated charger at real speed, idle until a remote start; stopped after the test."""
    server, started = world["server"], []

    def start(station_id: str, version: str) -> int:
        _add_station(world["engine"], station_id, version)
        station = SimulatedStation(f"ws://127.0.0.1:{server.gateway.port}", station_id, version, 1.0,
                                   random.Random(3))
        station.unplug_after = timedelta(seconds=2)

        async def launch():
            return asyncio.ensure_future(station.run(0, forever=True, first_after=timedelta(days=1)))
        started.append((station, server.run(launch())))
        deadline = time.monotonic() + 10
        while station_id not in server.gateway.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        name, payload = START[version]
        assert server.run(server.gateway.command(station_id, name, payload))["status"] == "Accepted"
        return _charging_session(world["engine"], station_id)

    yield start
    for station, task in started:
        async def stop(station=station, task=task):
            task.cancel()
            await station.close()
        server.run(stop())


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_stop_charge_ends_a_live_simulated_session_within_10_seconds(world, simulated, version):
    server, page = world["server"], world["page"]
    session_id = simulated(f"SIM-{version.replace('.', '')}", version)
    login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
    expect(page.locator("#status-name")).to_have_text("Charging")
    expect(page.locator("#live-badge")).to_be_visible()
    time.sleep(2)  # a few Wh flow before the stop
    page.click("#stop-open")
    page.click("#stop-confirm")
    clicked = time.monotonic()
    expect(page.locator("#status-name")).to_have_text("Stopped", timeout=10_000)
    assert time.monotonic() - clicked < 10
    expect(page.locator("#banner")).to_contain_text("Stop reason: Remote")
    shot(page, f"session-simulated-stopped-{version}.png")


def test_end_session_closes_a_session_the_charger_will_never_end(world, simulated):
    server, page = world["server"], world["page"]
    session_id = simulated("SIM-END", "1.6")
    server.run(server.gateway.connected["SIM-END"]._connection.close())  # the charger dies mid-session
    login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
    expect(page.locator("#status-name")).to_have_text("Charging")
    page.click("#end-open")
    page.locator("#end-form").get_by_role("button", name="End session").click()
    expect(page.locator("#end-error")).to_be_hidden()  # the browser asks for the reason first (required)
    page.fill('#end-form [name="why"]', "charger replaced, stop lost")
    page.locator("#end-form").get_by_role("button", name="End session").click()
    expect(page.locator("#status-name")).not_to_have_text("Charging")
    expect(page.locator("#banner")).to_contain_text("Ended by support@acme.example: charger replaced, stop lost")
    expect(page.locator("#end-open")).to_have_count(0)
    expect(page.get_by_test_id("operator-actions")).to_contain_text("session.force_close")
    shot(page, "session-ended-by-operator.png")


def test_finance_sees_no_end_session(world, simulated):
    server, page = world["server"], world["page"]
    session_id = simulated("SIM-FIN", "2.0.1")
    login(page, server, "finance@acme.example", target=f"/sessions/{session_id}")
    expect(page.locator("#status-name")).to_have_text("Charging")
    expect(page.locator("#end-open")).to_have_count(0)
    expect(page.locator("#stop-open")).to_have_count(0)


def test_a_live_session_follows_the_charger_without_reloading(world, simulated):
    server, page = world["server"], world["page"]
    session_id = simulated("SIM-LIVE", "1.6")
    login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
    expect(page.locator("#kpi-running-price")).to_contain_text("Price so far")
    # opened before the charger's first periodic reading: only its start register so far, nothing to plot, and
    # no claim that readings "weren't captured"
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    expect(page.locator('input[data-series="power_kw"]')).to_have_count(0)
    expect(page.locator("#chart-note")).to_have_text(re.compile("No energy metered yet"))
    # server-sent events: more than one update arrives while the page stays as it is
    # an attribute check, not wait_for_function: a string predicate is an eval, which the page's CSP may refuse
    expect(page.locator("#session")).to_have_attribute("data-live-updates", re.compile(r"^[1-9]\d*$"),
                                                       timeout=10_000)
    before = page.locator("#kpi-energy").inner_text()
    time.sleep(5)  # 10 Wh or more flow (at 7 kW or more): the next hundredth of a kWh
    server.run(server.gateway.command("SIM-LIVE", "TriggerMessage", {"requestedMessage": "MeterValues"}))
    expect(page.locator("#kpi-energy")).not_to_have_text(before, timeout=10_000)
    expect(page.locator("#kpi-running-value")).to_contain_text("€")
    expect(page.locator("#kpi-power")).to_contain_text("kW")
    # the chart follows too: the readings that came since are drawn, with a checkbox for each new series
    expect(page.locator('input[data-series="power_kw"]')).to_be_checked()
    expect(page.locator('input[data-series="current_a"]')).not_to_be_checked()
    expect(page.locator("#chart-telemetry")).to_be_visible()
    expect(page.locator("#chart-telemetry canvas")).to_have_count(1)
    expect(page.locator("#chart-note")).to_be_hidden()
    shot(page, "session-live.png")
    # and an open OCPP log takes in the charger's newest frames as they come
    page.click("#tab-logs")
    readings = page.locator("#logs-table tbody tr", has_text="MeterValues")
    expect(readings).not_to_have_count(0)
    seen = readings.count()
    server.run(server.gateway.command("SIM-LIVE", "TriggerMessage", {"requestedMessage": "MeterValues"}))
    expect(readings).not_to_have_count(seen, timeout=10_000)


def test_station_page_commands_reach_the_simulated_charger(world, simulated):
    from tests.builders import add_user_key
    server, page = world["server"], world["page"]
    add_user_key(world["engine"], "network@acme.example", ["ACME"], ["stations"])
    session_id = simulated("SIM-ST", "1.6")
    login(page, server, "network@acme.example", target="/stations/SIM-ST")
    expect(page.get_by_test_id("live-session")).to_contain_text(f"session #{session_id}")
    page.get_by_role("button", name="Read configuration").click()
    expect(page.locator("#command-answer")).to_contain_text("HeartbeatInterval")
    page.get_by_role("button", name="Refresh status").click()
    expect(page.locator("#command-answer")).to_contain_text('"status":"Accepted"')
    shot(page, "station-page.png")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restart (soft reset)").click()
    expect(page.locator("#command-answer")).to_contain_text('"status":"Accepted"')
    deadline = time.monotonic() + 15  # the charger ends the transaction (SoftReset) and boots again
    while time.monotonic() < deadline:
        page.reload()
        if page.get_by_test_id("live-session").count() == 0:
            break
        time.sleep(1)
    expect(page.get_by_test_id("live-session")).to_have_count(0)
    expect(page.get_by_test_id("operator-actions")).to_contain_text("station.command")
    login(page, server, "support@acme.example", target="/stations/SIM-ST")
    expect(page.locator("#station-commands")).to_have_count(0)  # support has no stations right
