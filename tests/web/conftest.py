"""One world per browser test module: a real database with the scenario, a live server, a Chromium page."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from chargeledger.storage.database import make_engine, upgrade
from tests.web.live import BROWSER_ARGS, LiveServer
from tests.web.scenario import build


@pytest.fixture(scope="module")
def world(tmp_path_factory, chromium_path):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'ledger.sqlite3'}")
    upgrade(engine)
    ids = build(engine)
    server = LiveServer(engine)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")  # amounts as €1,234.50
        page.set_default_timeout(10_000)
        yield {"engine": engine, "ids": ids, "server": server, "page": page, "browser": browser}
        browser.close()
    server.close()
    engine.dispose()
