"""The session hub in a real browser (Chromium via Playwright) against a real uvicorn server and database."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pypdf
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from chargeledger.storage.tables import api_keys
from tests.web.live import login, shot

pytestmark = pytest.mark.browser

# Counts drawn (non-transparent) pixels of a chart's canvas: a chart without data draws only its axes.
INK = """sel => { const c = document.querySelector(sel + ' canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


def _open(world, key: str, email: str = "support@acme.example"):
    page, server = world["page"], world["server"]
    login(page, server, email, target=f"/sessions/{world['ids'][key]}")
    return page


def test_list_filters_search_sort_and_opens_a_session(world):
    page, server, ids = world["page"], world["server"], world["ids"]
    login(page, server, "support@acme.example")
    rows = page.locator("#sessions tbody tr[data-id]")
    expect(rows).to_have_count(5)  # ACME's five; the OTHER organisation's session is not listed
    assert str(ids["other"]) not in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
    expect(page.locator(f'tr[data-id="{ids["charging"]}"] .badge.live')).to_be_visible()
    shot(page, "list.png")

    completed = page.locator(f'tr[data-id="{ids["completed"]}"] td.num')  # energy, duration, price
    expect(completed).to_have_text(["27.50 kWh", "02:30:00", "€11.19"])
    expect(page.locator("#sessions-total")).to_have_text("5 sessions")

    page.select_option('select[name="status"]', "Failed")
    page.click("text=Apply")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", str(ids["failed"]))
    assert "status=Failed" in page.url  # the filters live in the URL: a bookmark or a shared link keeps them
    page.goto(page.url)
    expect(page.locator('select[name="status"]')).to_have_value("Failed")
    expect(rows).to_have_count(1)

    page.goto(f"{server.url}/sessions")
    page.fill('input[name="q"]', "NL*ACM*ECP1*1")
    page.click("text=Apply")
    expect(rows).to_have_count(5)
    page.fill('input[name="q"]', "BB22")  # the flagged session's token
    page.click("text=Apply")
    expect(rows).to_have_count(1)

    page.goto(f"{server.url}/sessions?sort=energy_wh&order=desc")
    energies = page.locator("#sessions td.energy").all_inner_texts()
    values = [float(e.split()[0].replace(",", "")) for e in energies]
    assert values == sorted(values, reverse=True) and values[0] == 27.5
    page.click('th a:has-text("Energy")')  # the header flips the order
    values = [float(e.split()[0].replace(",", "")) for e in page.locator("#sessions td.energy").all_inner_texts()]
    assert values == sorted(values)

    page.goto(f"{server.url}/sessions?from=2024-03-05&to=2024-03-05")
    expect(rows).to_have_count(4)  # the live one started today
    page.goto(f"{server.url}/sessions?from=2024-03-06&to=2024-03-05")
    expect(page.locator(".alert.error")).to_contain_text("time frame is empty")

    page.goto(f"{server.url}/sessions?status=Failed")
    page.locator("#sessions tbody tr[data-id]").first.click()
    page.wait_for_url(f"**/sessions/{ids['failed']}")
    expect(page.locator("#banner")).to_have_class(re.compile("tone-error"))
    expect(page.locator("#failure-reason")).to_contain_text("EVSE fault: ground failure")
    expect(page.locator(".timeline .m-failed")).to_contain_text("ground failure")
    shot(page, "session-failed.png")


def test_completed_session_cards_charts_and_vat_toggle(world):
    page = _open(world, "completed")
    expect(page.locator("#status-name")).to_have_text("Completed")
    expect(page.locator("#banner")).to_have_class(re.compile("tone-success"))
    expect(page.locator("#kpi-energy")).to_have_text("27.50 kWh")
    expect(page.locator(".kpi").first).to_contain_text("69% of 40.00 kWh limit")
    expect(page.locator("#kpi-price")).to_contain_text("€11.19")
    expect(page.locator("#kpi-cost")).to_have_count(0)  # support has no finance right
    expect(page.locator(".context .chain")).to_contain_text("ACME depot")
    expect(page.locator(".context .chain")).to_contain_text("Fleet team")
    page.hover("#driver-name")
    expect(page.locator("#driver-contact")).to_contain_text("dana@example.org")
    expect(page.locator(".context")).to_contain_text("Volkswagen ID.3")
    expect(page.locator(".tip[data-tip]").first).to_have_attribute("data-tip", "Raw value: ISO14443")

    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    expect(page.locator("#series-toggles input")).to_have_count(5)
    drawn = page.evaluate(INK, "#chart-telemetry")
    assert drawn > 2000
    page.uncheck('input[data-series="power_kw"]')
    page.uncheck('input[data-series="energy_kwh"]')
    page.uncheck('input[data-series="current_a"]')
    page.uncheck('input[data-series="voltage_v"]')
    page.uncheck('input[data-series="soc_percent"]')
    assert page.evaluate(INK, "#chart-telemetry") < drawn  # lines gone, axes stay
    page.check('input[data-series="power_kw"]')
    page.click('#chart-tabs button[data-view="consumption"]')
    expect(page.locator("#chart-consumption canvas")).to_have_count(1)
    assert page.evaluate(INK, "#chart-consumption") > 2000
    expect(page.locator("#chart-consumption")).to_have_attribute("aria-label", re.compile(  # its text alternative
        r"^Consumption chart: 27\.50 kWh over 3 hours, most in the hour from 2024-03-05 \d\d:00 \(11\.00 kWh\)\.$"))
    expect(page.locator("#chart-note")).to_be_hidden()

    gross = page.locator("#breakdown-incl tfoot td.num").first.inner_text()
    assert gross == "€11.19"
    # unit prices carry their currency in the With VAT view too; the tariff's energy line has no fee badge
    # ("SESSION FEE" was shown on it); and no stray "· 0 open flags" beside the odometer
    assert page.locator("#breakdown-incl tbody td:nth-child(4)").all_inner_texts() == ["€1.00", "€0.30"]
    expect(page.locator("#breakdown-incl .badge")).to_have_count(0)
    expect(page.locator(".verification-strip")).not_to_contain_text("open flag")
    page.click('[data-vat-toggle="excl"]')
    expect(page.locator("#breakdown-incl")).to_be_hidden()
    net_total = page.locator('#breakdown-excl td[data-total="Total"]')
    expect(net_total).to_have_text("€11.19")
    expect(page.locator('#breakdown-excl td[data-total="Subtotal"]')).to_have_text("€9.25")
    lines_net = page.locator("#breakdown-excl td.amount").all_inner_texts()
    assert lines_net == ["€1.00", "€8.25"]
    page.click('[data-vat-toggle="incl"]')
    assert page.locator("#breakdown-incl td.amount").all_inner_texts() == ["€1.21", "€9.98"]

    expect(page.locator(".stars")).to_have_attribute("aria-label", "4 out of 5 stars")
    expect(page.locator("#impact-saved")).to_contain_text("kg")
    expect(page.locator(".sources")).to_contain_text("EEA")
    page.hover(".timeline .m-charging")
    expect(page.locator(".timeline .m-charging .hover")).to_contain_text("in this state 02:30:00")
    shot(page, "session-completed.png")

    page.click(".verification-strip")
    expect(page.locator("#panel-verification")).to_be_visible()
    expect(page.locator("#odometer-winner")).to_have_text("12043 km")
    expect(page.locator("#distance")).to_have_text(re.compile(r"^3\d\.\d\d km$"))  # Amsterdam → Utrecht
    shot(page, "session-verification.png")

    pdf = page.request.get(f"{world['server'].url}/sessions/{world['ids']['completed']}/receipt.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body())).pages)
    assert "€11.19" in text and "Start fee" in text and "4242" in text


def test_finance_sees_no_cost_data_rather_than_a_free_margin_and_no_contact_details(world):
    page = _open(world, "completed", "finance@acme.example")
    # the scenario's station has no electricity cost configured: not "Cost 0.00, Margin 100 %"
    expect(page.locator("#kpi-cost")).to_contain_text("No cost data")
    expect(page.locator("#kpi-margin")).to_have_count(0)
    expect(page.locator('[data-price-tab="cost-pane"]')).to_have_count(0)
    expect(page.locator("#driver-contact")).to_have_count(0)
    expect(page.locator("#stop-open")).to_have_count(0)
    shot(page, "session-finance.png")


def test_roaming_session_on_our_charger_keeps_its_charger_and_log(world):
    page = _open(world, "roaming")
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    expect(page.locator("#chart-tabs")).to_be_hidden()  # no samples: consumption view only
    expect(page.locator("#chart-note")).to_contain_text("two-point approximation")
    assert page.evaluate(INK, "#chart-consumption") > 500
    expect(page.locator("#chart-consumption")).to_have_attribute("aria-label", re.compile(
        r"^Consumption chart, an approximation: 18\.50 kWh from 2024-03-05 \d\d:\d\d to 2024-03-05 \d\d:\d\d\.$"))
    expect(page.locator("#driver-name")).to_have_text("DE-XYZ-C12345678-X")
    expect(page.locator("#driver-name")).not_to_have_attribute("tabindex", "0")  # plain text, no popover
    expect(page.locator(".context")).to_contain_text("Hubject customer")
    # a partner's driver on our own CP-1: View charge point and the OCPP log stay (issue 16)
    expect(page.get_by_role("link", name="View charge point")).to_have_attribute("href", "/stations/CP-1")
    page.click("#tab-logs")
    expect(page.locator("#logs-form")).to_be_visible()
    expect(page.locator("#logs-none")).to_have_count(0)
    expect(page.locator("#receipt-link")).to_have_count(0)  # never settled: no receipt
    page.click("#tab-overview")
    shot(page, "session-roaming.png")


def test_phone_width_keeps_the_page_readable(world):
    page = _open(world, "completed")
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.reload()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0  # nothing sticks out sideways; wide tables scroll inside their card
        expect(page.locator("#kpi-energy")).to_be_visible()
        page.keyboard.press("Tab")  # keyboard: tabs move with the arrow keys
        page.focus("#tab-overview")
        page.keyboard.press("ArrowRight")
        expect(page.locator("#tab-logs")).to_have_attribute("aria-selected", "true")
        page.keyboard.press("ArrowLeft")
        shot(page, "session-phone.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_live_session_clock_ticks_and_is_marked_simulated(world):
    page = _open(world, "charging")
    expect(page.locator("#live-badge")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("Simulated")
    first = page.locator("#clock").inner_text()
    assert re.fullmatch(r"00:(19|20|21):\d\d", first)
    page.wait_for_timeout(1300)
    assert page.locator("#clock").inner_text() != first
    assert page.locator("#kpi-duration").inner_text() == page.locator("#clock").inner_text()
    # delivered kWh over the time since the start (3.3 kWh in 20 min): not over the charging intervals closed so
    # far, which overstated it on live sessions
    expect(page.locator("#kpi-power")).to_have_text(re.compile(r"^9\.\d kW$"))
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    expect(page.locator("#stop-open")).to_be_visible()  # support, active, our station, gateway present
    shot(page, "session-charging.png")


def test_flag_resolved_with_reason_and_alert_gone(world):
    page = _open(world, "flagged")
    alert = page.locator(".alerts .alert", has_text="meter stop below start")
    expect(alert).to_be_visible()
    page.click("#tab-verification")
    form = page.locator('.resolve-form[data-code="meter_stop_below_start"]')
    form.locator("button").click()  # empty reason: the browser refuses before the API is asked
    expect(form).to_be_visible()
    form.locator('input[name="reason"]').fill("meter replaced by the installer")
    form.locator("button").click()
    page.wait_for_load_state("load")
    page.click("#tab-verification")
    expect(page.locator("#flag-meter_stop_below_start .resolved")).to_contain_text("meter replaced by the installer")
    expect(page.locator(".alerts .alert", has_text="meter stop below start")).to_have_count(0)


def test_custom_fields_take_text_as_typed_and_keep_numbers_typed(world):
    page = _open(world, "failed")
    page.click("#tab-custom")
    page.click("#custom-add")
    row = page.locator("#custom-table tbody tr").last
    row.locator('[name="key"]').fill("team")
    row.locator('[name="value"]').fill("R&D")  # text as typed: no JSON quotes needed
    page.click("#custom-add")
    row = page.locator("#custom-table tbody tr").last
    row.locator('[name="key"]').fill("odometer_km")
    row.locator('[name="value"]').fill("12043")
    page.click("#custom-add")
    row = page.locator("#custom-table tbody tr").last
    row.locator('[name="key"]').fill("ref")
    row.locator('[name="value"]').fill('"42"')  # quoted: stays text
    page.click('#custom-form button[type="submit"]')
    expect(page.locator("#custom-ok")).to_be_visible()
    from chargeledger.ledger import Ledger
    fields = Ledger(world["engine"]).project(world["ids"]["failed"]).custom_fields
    assert fields["team"] == "R&D" and fields["odometer_km"] == 12043 and fields["ref"] == "42"
    page.reload()
    page.click("#tab-custom")
    expect(page.locator('#custom-table input[aria-label="value of team"]')).to_have_value("R&D")
    expect(page.locator('#custom-table input[aria-label="value of odometer_km"]')).to_have_value("12043")
    expect(page.locator('#custom-table input[aria-label="value of ref"]')).to_have_value('"42"')


def test_read_only_roles_get_read_only_custom_fields(world):
    page = _open(world, "failed", "finance@acme.example")
    page.click("#tab-custom")
    for field in page.locator("#custom-table input").all():
        expect(field).to_have_attribute("readonly", "")
    expect(page.locator("#custom-add")).to_have_count(0)


def test_unknown_session_and_other_organisation_give_not_found(world):
    page, server, ids = world["page"], world["server"], world["ids"]
    login(page, server, "support@acme.example")
    for path in ("/sessions/987654", f"/sessions/{ids['other']}", "/sessions/not-a-number"):
        response = page.goto(server.url + path)
        assert response.status == 404
        expect(page.locator("h1")).to_have_text("Not found")
    shot(page, "not-found.png")


def test_expired_login_returns_to_the_login_page(world):
    page, server, ids, engine = world["page"], world["server"], world["ids"], world["engine"]
    login(page, server, "support@acme.example", target=f"/sessions/{ids['charging']}")
    with engine.begin() as conn:  # every browser login expires
        conn.execute(update(api_keys).where(api_keys.c.kind == "login")
                     .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    page.wait_for_url("**/login?next=*", timeout=8000)  # the live poll got 401 and went to the login page
    page.goto(f"{server.url}/sessions")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill('input[name="email"]', "support@acme.example")
    page.fill('input[name="password"]', "wrong")
    page.click('button[type="submit"]')
    expect(page.locator("#login-error")).to_contain_text("wrong email or password")
    shot(page, "login.png")


def test_an_unsecured_station_says_so_on_its_page(world):
    from chargeledger.directory import registry
    page, server = world["page"], world["server"]
    login(page, server, "support@acme.example", target="/stations/CP-1")
    expect(page.get_by_test_id("unsecured-warning")).to_contain_text("connects without credentials")
    registry.set_station_password(world["engine"], "CP-1", "a-password-of-at-least-16")
    try:
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_test_id("unsecured-warning")).to_have_count(0)
    finally:
        registry.set_station_password(world["engine"], "CP-1", None, unsecured=True)


def test_the_station_page_shows_connectors_configuration_and_upkeep(world):
    page, server = world["page"], world["server"]
    login(page, server, "support@acme.example", target="/stations/CP-1")
    expect(page.get_by_test_id("station-registration")).to_contain_text("Accepted")
    expect(page.get_by_test_id("station-connectors")).to_be_visible()
    expect(page.get_by_test_id("station-configuration")).to_contain_text("GetConfiguration")  # none reported yet
    expect(page.get_by_test_id("local-list")).to_contain_text("version 0")
    expect(page.get_by_test_id("station-holds")).to_contain_text("No reservation")
    shot(page, "station.png")


def test_current_voltage_and_soc_overlays_draw_without_errors(world):
    errors = []
    page = world["page"]
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page = _open(world, "completed")
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    page.uncheck('input[data-series="energy_kwh"]')
    page.uncheck('input[data-series="power_kw"]')
    bare = page.evaluate(INK, "#chart-telemetry")
    for key in ("current_a", "voltage_v", "soc_percent"):
        page.check(f'input[data-series="{key}"]')
        drawn = page.evaluate(INK, "#chart-telemetry")
        assert drawn > bare, key  # its line and its own axis appeared
        bare = drawn
    expect(page.locator("#chart-telemetry")).to_have_attribute(
        "aria-label", "Telemetry chart: Current (A), Voltage (V), State of charge (%)")
    expect(page.locator("#chart-telemetry canvas")).to_have_count(1)  # redrawn, not stacked
    assert errors == []
    shot(page, "session-overlays.png")


def test_one_time_zone_rule_the_sites_labelled_with_a_switch_to_the_viewers(world):
    server = world["server"]
    context = world["browser"].new_context(timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        login(page, server, "support@acme.example", target=f"/sessions/{world['ids']['completed']}")
        expect(page.locator("#zone-name")).to_have_text("Europe/Amsterdam")
        created = page.locator(".timeline time").first  # created 07:59 UTC: 08:59 in Amsterdam, 24-hour
        expect(created).to_have_text("2024-03-05 08:59:00")
        expect(page.locator("h1")).to_have_text(f"Charging session #{world['ids']['completed']}")
        page.click("#zone-switch")
        expect(page.locator("#zone-name")).to_have_text("America/New_York")
        expect(created).to_have_text("2024-03-05 02:59:00")
        page.click("#tab-logs")
        page.click("#zone-switch")  # and back
        expect(created).to_have_text("2024-03-05 08:59:00")
        assert page.request.get(f"{server.url}/favicon.ico").status == 200
        page.reload()
        page.keyboard.press("Tab")  # the first stop is the skip link
        expect(page.locator(".skip-link")).to_be_focused()
    finally:
        context.close()


def test_split_billing_figures_match_their_explanations(world):
    page = _open(world, "completed")
    card = page.locator("#split-billing")
    tip = card.get_by_test_id("team-share-formula").get_attribute("data-tip")
    # "covered rate × kWh = €0.30 × 27.500 kWh = €8.25 excl. VAT, that share of the total incl. VAT"
    rate, kwh, net = re.search(r"€([\d.]+) × ([\d.]+) kWh = €([\d.]+) excl", tip).groups()
    assert abs(float(rate) * float(kwh) - float(net)) < 0.01
    shares = [float(v.split()[0].lstrip("€")) for v in card.locator("dd").all_inner_texts()[2:4]]
    total = float(page.locator("#kpi-price .value").inner_text().lstrip("€"))
    assert abs(sum(shares) - total) < 0.005  # team share + driver contribution = what was billed
    shot(page, "session-split-billing.png")
