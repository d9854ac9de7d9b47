"""Actions on the session page in a real browser: stop charge over real OCPP, refunds, and who sees which."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from chargeledger.storage.tables import sessions
from tests.web.charger import connect, start_transaction
from tests.web.live import login, shot

pytestmark = pytest.mark.browser


def _session_of(engine, transaction_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(sessions.c.id).where(sessions.c.transaction_id == str(transaction_id))).scalar_one()


def test_stop_charge_goes_stopping_then_stopped_when_the_charger_confirms(world):
    server, page = world["server"], world["page"]
    cp, ws, task = server.run(connect(server.gateway.port, "CP-1"))
    try:
        tx = server.run(start_transaction(cp))
        session_id = _session_of(world["engine"], tx)
        login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
        expect(page.locator("#status-name")).to_have_text("Charging")
        page.click("#stop-open")
        expect(page.locator("#stop-dialog")).to_be_visible()
        page.click("#stop-confirm")
        expect(page.locator("#status-name")).to_have_text("Stopping")
        shot(page, "session-stopping.png")
        expect(page.locator("#status-name")).to_have_text("Stopped", timeout=15_000)
        expect(page.locator("#live-badge")).to_have_count(0)
        expect(page.locator("#stop-open")).to_have_count(0)
        expect(page.locator(".timeline")).to_contain_text("Stopping")
        shot(page, "session-stopped.png")
        page.click("#tab-logs")  # our station: its OCPP frames for the session's time range
        expect(page.locator("#logs-table tbody")).to_contain_text("StartTransaction")
        expect(page.locator("#logs-table tbody")).to_contain_text("RemoteStopTransaction")
        expect(page.locator("#logs-table tbody")).to_contain_text("charge point → server")
        shot(page, "session-logs.png")
        page.reload()  # the audit trail: who stopped it, from where, through the signed-in browser
        actions = page.get_by_test_id("operator-actions")
        expect(actions).to_contain_text("session.stop")
        expect(actions).to_contain_text("support@acme.example")
        expect(actions).to_contain_text("web · 127.0.0.1")
    finally:
        server.run(ws.close())
        task.cancel()


def test_stop_charge_of_an_offline_charger_shows_the_error_and_the_session_stays_active(world):
    server, page = world["server"], world["page"]
    cp, ws, task = server.run(connect(server.gateway.port, "CP-1"))
    tx = server.run(start_transaction(cp))
    session_id = _session_of(world["engine"], tx)
    server.run(ws.close())  # the charger goes offline
    task.cancel()
    login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
    page.click("#stop-open")
    page.click("#stop-confirm")
    expect(page.locator("#action-error")).to_contain_text("not connected")
    expect(page.locator("#status-name")).to_have_text("Charging")
    expect(page.locator("#live-badge")).to_be_visible()
    shot(page, "session-stop-offline.png")


def test_partial_refund_then_a_refused_one(world):
    server, page, ids = world["server"], world["page"], world["ids"]
    login(page, server, "support@acme.example", target=f"/sessions/{ids['completed']}")
    page.click("#refund-open")
    form = page.locator("#refund-form")
    # pre-filled with what is refundable: the driver's card paid only the driver's share of the split bill
    expect(form.locator('[name="amount"]')).to_have_value("1.21")
    expect(form.locator('[name="currency"]')).to_have_value("EUR")
    form.locator('[name="amount"]').fill("1,00")  # the operator's locale: a decimal comma
    form.locator('[name="reason"]').fill("charger was slow")
    shot(page, "refund-dialog.png")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state("load")
    # the refund shows: on the Payments card (who, why, when), and in the Price KPI as the net paid
    card = page.locator("#payments-card")
    expect(card.locator("tr[data-refund]")).to_contain_text("charger was slow · by support@acme.example")
    expect(card.locator("tr[data-refund]")).to_contain_text("−€1.00")
    expect(card.locator("[data-net-paid]")).to_have_text("€0.21")
    expect(page.locator("#kpi-refunded")).to_contain_text("refunded €1.00 · net paid €0.21")
    shot(page, "session-payments.png")
    page.click("#refund-open")
    expect(form.locator('[name="amount"]')).to_have_value("0.21")
    form.locator('[name="amount"]').fill("50.00")  # above what is left
    form.locator('[name="reason"]').fill("too much")
    form.locator('button[type="submit"]').click()
    expect(page.locator("#refund-error")).to_contain_text(re.compile("refundable 0.21"))
    shot(page, "refund-refused.png")
    page.click("#refund-cancel")
    page.reload()
    page.click("#refund-open")
    expect(form.locator('[name="amount"]')).to_have_value("0.21")  # the refused one changed nothing


def test_refund_and_stop_are_hidden_without_the_rights(world):
    server, page, ids = world["server"], world["page"], world["ids"]
    from tests.builders import add_user_key
    add_user_key(world["engine"], "reports@acme.example", ["ACME"], ["reports"])
    login(page, server, "reports@acme.example", target=f"/sessions/{ids['completed']}")
    expect(page.locator("#refund-open")).to_have_count(0)
    expect(page.locator("#kpi-cost")).to_have_count(0)
    expect(page.locator("#driver-contact")).to_have_count(0)
    page.goto(f"{server.url}/sessions/{ids['charging']}")
    expect(page.locator("#stop-open")).to_have_count(0)
    page.click("#tab-logs")
    expect(page.locator("#logs-none")).to_contain_text("support or stations right")
