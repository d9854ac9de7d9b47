"""The Tokens page: the organisation's id tokens with status, expiry, group and owner, searched in any case;
support adds and blocks them (through the tokens API), stations may only read, others do not see the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chargeledger.directory import tokens as book
from tests.builders import add_user_key
from tests.web.live import login, shot

pytestmark = pytest.mark.browser


def test_support_finds_adds_and_blocks_a_token(world):
    server, page = world["server"], world["page"]
    login(page, server, "support@acme.example")
    page.click('nav[aria-label="Main"] >> text=Tokens')
    expect(page.locator("h1")).to_have_text("Id tokens")
    page.fill("#token-search", "aa1")  # part of the uid, other case
    page.click("text=Search")
    row = page.locator('tr[data-token="AA11"]')
    expect(row).to_contain_text("Accepted")
    expect(row.locator('a[href="/drivers/DRV-1"]')).to_have_text("Dana Driver")

    form = page.locator("#token-add")
    form.locator('[name="uid"]').fill("new-card-7")
    form.locator('[name="group_id"]').fill("FLEET")
    form.locator('[name="driver_id"]').fill("DRV-1")
    form.locator('[name="expires_at"]').fill("2030-01-01T12:00")
    form.locator('button[type="submit"]').click()
    added = page.locator('tr[data-token="new-card-7"]')
    expect(added).to_contain_text("FLEET")
    expect(added).to_contain_text("2030-01-01")
    expect(added.locator("a")).to_have_text("Dana Driver")
    shot(page, "tokens-page.png")
    page.once("dialog", lambda dialog: dialog.accept())
    added.locator("[data-block]").click()
    expect(page.locator('tr[data-token="new-card-7"] [data-status]')).to_have_text("Blocked")
    expect(page.locator('tr[data-token="new-card-7"] [data-block]')).to_have_count(0)
    assert book.get(world["engine"], "ACME", "NEW-CARD-7")["status"] == "Blocked"

    page.goto(f"{server.url}/drivers/DRV-1")  # a driver's cards lead to the Tokens page
    page.click('#driver-tokens a:text("AA11")')
    expect(page.locator('tr[data-token="AA11"]')).to_be_visible()
    expect(page.locator("#token-search")).to_have_value("AA11")


def test_the_tokens_page_follows_the_users_rights(world):
    server, page = world["server"], world["page"]
    add_user_key(world["engine"], "noc@acme.example", ["ACME"], ["stations"])
    login(page, server, "noc@acme.example", target="/tokens")  # stations: reads, may not change
    expect(page.locator('tr[data-token="AA11"]')).to_be_visible()
    expect(page.locator("#token-add")).to_have_count(0)
    expect(page.locator("[data-block]")).to_have_count(0)
    login(page, server, "finance@acme.example")  # neither support nor stations
    expect(page.locator('nav[aria-label="Main"] a[href="/tokens"]')).to_have_count(0)
    assert page.goto(f"{server.url}/tokens").status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")  # a page with its reason, not a line of JSON
    expect(page.locator("main")).to_contain_text("needs the support or stations right")
