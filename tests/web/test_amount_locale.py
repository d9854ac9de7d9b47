"""Amounts in the viewer's conventions, with the currency, formatted one way (Babel, web/formatting.py): the
user's own locale setting first, else the browser's Accept-Language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chargeledger.access import accounts
from tests.web.live import login

pytestmark = pytest.mark.browser


def _session_page(world, locale: str, email: str):
    context = world["browser"].new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, world["server"], email, target=f"/sessions/{world['ids']['completed']}")
    return context, page


def test_a_german_browser_reads_amounts_with_a_decimal_comma_and_the_euro_after(world):
    context, page = _session_page(world, "de-DE", "support@acme.example")
    try:
        expect(page.locator("#kpi-price .value")).to_have_text("11,19\u00a0€")
        expect(page.locator("#kpi-energy")).to_have_text("27,50 kWh")  # figures in the same conventions
        assert page.locator("#breakdown-incl td.amount").all_inner_texts() == ["1,21\u00a0€", "9,98\u00a0€"]
        page.click("#refund-open")  # the refund is typed as the viewer writes numbers, and pre-filled so
        expect(page.locator('#refund-form [name="amount"]')).to_have_value("1,21")
        page.click("#refund-cancel")
        page.hover("#driver-name")
        page.click("#driver-link")
        expect(page.locator("#driver-spend")).to_contain_text("\u00a0€ over")
    finally:
        context.close()


def test_the_users_own_locale_setting_wins_over_the_browser(world):
    accounts.add_user(world["engine"], "dutch@acme.example", ["ACME"], ["support"], password="correct horse battery",
                      locale="nl-NL")
    context, page = _session_page(world, "en-US", "dutch@acme.example")
    try:
        expect(page.locator("#kpi-price .value")).to_have_text("€\u00a011,19")
        page.goto(f"{world['server'].url}/sessions")
        row = page.locator(f'tr:has(a[href="/sessions/{world["ids"]["completed"]}"])')
        expect(row).to_contain_text("€\u00a011,19")
    finally:
        context.close()


def test_an_unknown_locale_setting_is_refused():
    with pytest.raises(accounts.AccountError, match="unknown locale"):
        accounts.checked_locale("xx-YY")
