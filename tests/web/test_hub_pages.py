"""The hub beyond the session: the charge point list and the Reports page (a job, its progress, its file), each
within the signed-in user's organisations and rights."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.web.live import login, shot

pytestmark = pytest.mark.browser


def test_charge_points_list_only_the_users_organisations(world):
    server, page = world["server"], world["page"]
    login(page, server, "support@acme.example", target="/stations")
    expect(page.locator("h1")).to_have_text("Charge points")
    rows = page.locator("#stations-table tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-station="CP-1"]')).to_contain_text("offline")
    expect(page.locator('tr[data-station="CP-9"]')).to_have_count(0)  # another organisation's
    page.click('tr[data-station="CP-1"] a')
    expect(page.locator("h1")).to_contain_text("CP-1")
    expect(page.locator(".crumbs a")).to_have_attribute("href", "/stations")
    expect(page.locator("#station-zone")).to_contain_text("Europe/Amsterdam (the site's time zone)")


def test_reports_page_runs_a_statement_job_and_downloads_an_xlsx_that_opens(world):
    server, page = world["server"], world["page"]
    login(page, server, "finance@acme.example", target="/reports")
    page.select_option("#report-name", "statement")
    page.select_option("#report-format", "xlsx")
    page.fill('[name="start"]', "2024-03-01")
    page.fill('[name="end"]', "2024-04-01")
    page.fill('[name="time_zone"]', "Europe/Amsterdam")
    page.click("#report-run")
    link = page.locator("#report-download")
    expect(link).to_be_visible(timeout=30_000)
    expect(page.locator("#report-status")).to_contain_text("done")
    shot(page, "reports-done.png")
    with page.expect_download() as download:
        link.click()
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) >= 2, rows  # a header and the scenario's March sessions
    assert any("EUR" in str(cell) or isinstance(cell, (int, float)) for cell in rows[1])


def test_reports_page_downloads_a_zip_of_two_reports_whose_csv_and_xlsx_members_open(world):
    server, page = world["server"], world["page"]
    login(page, server, "finance@acme.example", target="/reports")
    page.select_option("#report-name", "statement")
    expect(page.locator("#report-zip")).to_be_hidden()  # only a ZIP asks what goes in it
    page.select_option("#report-format", "zip")
    page.check('#report-zip input[name="zip-report"][value="statement"]')
    page.check('#report-zip input[name="zip-report"][value="sessions"]')
    page.check('#report-zip input[name="zip-member"][value="xlsx"]')  # CSV is ticked already
    page.fill('[name="start"]', "2024-03-01")
    page.fill('[name="end"]', "2024-04-01")
    page.fill('[name="time_zone"]', "Europe/Amsterdam")
    page.click("#report-run")
    link = page.locator("#report-download")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
        assert names == {"statement.csv", "statement.xlsx", "sessions.csv", "sessions.xlsx", "manifest.json"}, names
        manifest = json.loads(archive.read("manifest.json"))
        statement = list(csv.reader(io.StringIO(archive.read("statement.csv").decode("utf-8-sig"))))
        book = openpyxl.load_workbook(io.BytesIO(archive.read("statement.xlsx")), read_only=True)
        sheet = list(book.worksheets[0].iter_rows(values_only=True))
        sessions = list(csv.reader(io.StringIO(archive.read("sessions.csv").decode("utf-8-sig"))))
    assert statement[0][:2] == ["Session Date", "Session ID"] and len(statement) >= 2  # the March sessions
    assert list(sheet[0]) == statement[0] and len(sheet) == len(statement)  # the same rows in both formats
    assert len(sessions) >= 2
    rows = {entry["file"]: entry["rows"] for entry in manifest["files"]}
    assert rows["statement.csv"] == rows["statement.xlsx"] == len(statement) - 1
    assert rows["sessions.csv"] == len(sessions) - 1
    page.select_option("#report-format", "csv")
    expect(page.locator("#report-zip")).to_be_hidden()


def test_reports_page_offers_only_what_the_users_rights_allow_and_the_api_refuses_the_rest(world):
    from tests.builders import add_user_key
    server, page = world["server"], world["page"]
    add_user_key(world["engine"], "analyst@acme.example", ["ACME"], ["reports"])
    login(page, server, "finance@acme.example", target="/reports")  # finance + reports: finance exports too
    offered = page.locator("#report-name option").evaluate_all("options => options.map(o => o.value)")
    assert {"statement", "sessions", "export:reimbursement", "export:tariff-distribution"} <= set(offered)
    assert "roaming-sessions" not in offered  # it needs the stations right as well
    login(page, server, "analyst@acme.example", target="/reports")  # reports, no finance
    offered = page.locator("#report-name option").evaluate_all("options => options.map(o => o.value)")
    assert {"statement", "sessions", "export:ocpi"} <= set(offered)
    assert not {"export:reimbursement", "export:tariff-distribution", "roaming-sessions"} & set(offered)
    # what is not offered is still refused when asked for directly, with the reason
    refused = page.evaluate("""() => api("/api/reports/jobs?export=true", {method: "POST", body: JSON.stringify(
        {report: "reimbursement", format: "reimbursement", start: "2024-03-01", end: "2024-04-01"})})
        .then(() => "accepted", e => e.message)""")
    assert "finance right" in refused
    login(page, server, "support@acme.example", target="/reports")  # no reports right at all
    expect(page.locator("#reports-none")).to_contain_text("no right to run reports")
    expect(page.locator("#report-form")).to_have_count(0)


def test_driver_and_team_pages_show_sessions_tokens_spend_and_shares(world):
    server, page, ids = world["server"], world["page"], world["ids"]
    login(page, server, "support@acme.example", target=f"/sessions/{ids['completed']}")
    page.hover("#driver-name")
    page.click("#driver-link")
    expect(page.locator("h1")).to_contain_text("Dana Driver")
    expect(page.locator("#driver-tokens")).to_contain_text("AA11")
    expect(page.locator("#driver-spend")).to_contain_text("€")
    # the completed session's split bill (test_pages: team share + driver contribution = €11.19)
    expect(page.locator("#driver-shares")).to_have_text(re.compile(r"^the team covered €9\.98, the driver paid €1\.21$"))
    expect(page.locator("#people-sessions")).to_contain_text(f"#{ids['completed']}")
    page.click("text=Fleet team")
    expect(page.locator("h1")).to_contain_text("Fleet team")
    expect(page.locator("#team-members")).to_contain_text("Dana Driver")
    expect(page.locator("#team-shares")).to_contain_text("team €")
    shot(page, "team-page.png")
    assert page.goto(f"{server.url}/drivers/NOPE").status == 404
    assert page.goto(f"{server.url}/teams/NOPE").status == 404


def test_map_of_sites_draws_the_users_sites_without_tiles(world):
    from sqlalchemy import update

    from chargeledger.storage.tables import sites
    with world["engine"].begin() as conn:
        conn.execute(update(sites).where(sites.c.id == "ACME-SITE").values(latitude=52.37, longitude=4.9))
    server, page = world["server"], world["page"]
    login(page, server, "support@acme.example", target="/map")
    expect(page.locator('#site-map [data-site="ACME-SITE"] circle')).to_have_count(1)
    expect(page.locator('#site-map [data-site="OTHER-SITE"]')).to_have_count(0)  # another organisation's
    expect(page.locator("#site-list")).to_contain_text("52.3700, 4.9000")
    shot(page, "map.png")


def test_recent_sessions_of_a_charge_point_and_a_driver_are_the_newest_started_first(world):
    from chargeledger.domain.events import EventKind, EventSource
    from chargeledger.ledger import Ledger, NewEvent, SessionRef
    from tests.builders import at
    server, page, ids = world["server"], world["page"], world["ids"]
    # recorded last (the highest id) but started before every other session of CP-1: an import, a late CDR
    late, _ = Ledger(world["engine"]).record(SessionRef("web:late-import", "ACME", "ACME-SITE", "CP-1",
                                                        "NL*ACM*ECP1*1", 1), [
        NewEvent(EventKind.TRANSACTION_STARTED, at(-600), EventSource.OCPP, {"transaction_id": "77",
                                                                              "meter_start_wh": 0,
                                                                              "driver_id": "DRV-1"}),
        NewEvent(EventKind.TRANSACTION_STOPPED, at(-540), EventSource.OCPP, {"meter_stop_wh": 2000})])
    login(page, server, "support@acme.example", target="/stations/CP-1")
    listed = page.locator("#recent-sessions tbody tr td:first-child").all_inner_texts()
    assert listed[0] == f"#{ids['charging']}" and listed[-1] == f"#{late}", listed
    page.goto(f"{server.url}/drivers/DRV-1")  # the driver's (and so the team's) recent sessions too
    listed = page.locator("#people-sessions tbody tr td:first-child").all_inner_texts()
    assert listed[0] == f"#{ids['charging']}" and listed[-1] == f"#{late}", listed


def test_every_hub_page_loads_without_console_errors_or_failed_requests(world):
    """The favicon 404 and the overlay's exception were on every page view: each page of the navigation, and a
    session, station, driver and team page, with every request it makes answered and nothing in the console."""
    server, page, ids = world["server"], world["page"], world["ids"]
    problems: list[str] = []
    on_console = lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None  # noqa: E731
    on_error = lambda e: problems.append(f"page error: {e}")  # noqa: E731
    on_response = lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None  # noqa: E731
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.on("response", on_response)
    try:
        login(page, server, "support@acme.example")
        for path in ("/sessions", f"/sessions/{ids['completed']}", f"/sessions/{ids['charging']}",
                     f"/sessions/{ids['roaming']}", "/stations", "/stations/CP-1", "/map", "/reports", "/tokens",
                     "/drivers/DRV-1", "/teams/TEAM-1"):
            page.goto(server.url + path)
            if path.startswith("/sessions/"):  # the chart data is the page's one request after load
                page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
            expect(page.locator("h1")).to_have_count(1)
            assert problems == [], (path, problems)
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)
        page.remove_listener("response", on_response)


def test_every_control_of_the_session_page_is_reached_with_the_tab_key(world):
    server, page, ids = world["server"], world["page"], world["ids"]
    login(page, server, "support@acme.example", target=f"/sessions/{ids['completed']}")
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')
    # what a mouse can use: links, buttons, fields, rows that open, and the tooltips that explain a value
    wanted = page.evaluate("""() => { let n = 0; const out = [];
        document.querySelectorAll('a[href], button, input, select, textarea, summary, [data-tip], [tabindex]')
          .forEach(e => { if (e.offsetParent !== null && !e.disabled && (e.tabIndex !== -1 || e.dataset.tip)) {
            e.dataset.kb = String(n++); out.push(e.dataset.kb); } });
        return out; }""")
    reached = set()
    for _ in range(len(wanted) + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement?.dataset.kb"))
    missed = [page.locator(f'[data-kb="{k}"]').evaluate("e => e.outerHTML.slice(0, 80)")
              for k in wanted if k not in reached]
    assert len(wanted) > 20 and not missed, missed
