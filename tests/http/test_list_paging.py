"""The session list page: a total, Next and Previous through keyset pages (the way back kept in the URL), and the
price and duration columns."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.http.app import create_app
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from tests.builders import add_network, add_user_key, at


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-id="(\d+)"', html)]


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def test_total_next_and_previous_pages_and_duration(engine):
    add_network(engine)
    ledger = Ledger(engine)
    for n in range(120):
        ledger.record(SessionRef(f"k{n}", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1), [
            NewEvent(EventKind.TRANSACTION_STARTED, at(n), EventSource.OCPP, {"transaction_id": str(n),
                                                                              "meter_start_wh": 0}),
            NewEvent(EventKind.TRANSACTION_STOPPED, at(n + 0.5), EventSource.OCPP, {"meter_stop_wh": 500})])
    add_user_key(engine, "ops@acme.example", ["ACME"], ["support"])
    client = TestClient(create_app(engine))
    assert client.post("/login", data={"email": "ops@acme.example", "password": "correct horse battery",
                                       "next": "/sessions"}, follow_redirects=False).status_code == 303
    first = client.get("/sessions").text
    assert "120 sessions" in first
    assert _link(first, "prev") is None
    page1 = _ids(first)
    assert len(page1) == 50 and "00:00:30" in first  # each session's duration
    second = client.get(_link(first, "next")).text
    page2 = _ids(second)
    assert len(page2) == 50 and not set(page1) & set(page2)
    third = client.get(_link(second, "next")).text
    assert len(_ids(third)) == 20 and _link(third, "next") is None
    assert _ids(client.get(_link(third, "prev")).text) == page2  # back one page
    assert _ids(client.get(_link(second, "prev")).text) == page1  # and back to the first
