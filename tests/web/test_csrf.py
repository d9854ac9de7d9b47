"""A page of another origin (another port on the same host: same site, so SameSite=Lax lets the cookie through)
cannot stop a session with the operator's cookie, in a real browser; the app's own page still can."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from chargeledger.storage.tables import ocpp_messages, sessions
from tests.web.charger import connect, start_transaction
from tests.web.live import login

pytestmark = pytest.mark.browser


class Attacker:
    """Another origin on 127.0.0.1 that serves one hostile page."""

    def __init__(self, html: str):
        page = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _session(engine, transaction_id: int):
    with engine.connect() as conn:
        return conn.execute(select(sessions.c.id, sessions.c.status)
                            .where(sessions.c.transaction_id == str(transaction_id))).one()


def _remote_stops(engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(ocpp_messages.c.id).where(ocpp_messages.c.station_id == "CP-1",
                                                                 ocpp_messages.c.action == "RemoteStopTransaction"))
                   .all())


def test_a_foreign_page_cannot_stop_a_session_but_the_own_page_can(world):
    server, page, engine = world["server"], world["page"], world["engine"]
    cp, ws, task = server.run(connect(server.gateway.port, "CP-1"))
    try:
        tx = server.run(start_transaction(cp))
        session_id = _session(engine, tx).id
        login(page, server, "support@acme.example", target=f"/sessions/{session_id}")
        stops_before = _remote_stops(engine)
        target = f"{server.url}/api/sessions/{session_id}/stop"
        attacks = {
            "form": f'<form id="f" method="post" action="{target}"><input name="x" value="1"></form>'
                    '<script>document.getElementById("f").submit()</script>',
            "fetch": f'<script>fetch("{target}", {{method: "POST", credentials: "include", mode: "no-cors",'
                     ' headers: {"Content-Type": "text/plain"}, body: "{}"}).then(() => document.title = "sent")'
                     '</script>',
        }
        for kind, html in attacks.items():
            attacker = Attacker(html)
            try:
                with page.expect_response(lambda r: r.url == target) as answer:
                    page.goto(attacker.url)
                assert answer.value.status == 403, (kind, answer.value.status)
                if kind == "form":  # the browser did send the operator's cookie: only the server's check stood
                    assert "chargeledger_login=" in answer.value.request.all_headers().get("cookie", "")
            finally:
                attacker.close()
        assert _session(engine, tx).status == "Charging"  # nothing happened
        assert _remote_stops(engine) == stops_before  # and the charger was never asked to stop

        # The operator's own page, with its CSRF token, still stops the session.
        page.goto(f"{server.url}/sessions/{session_id}")
        page.click("#stop-open")
        page.click("#stop-confirm")
        expect(page.locator("#status-name")).to_have_text("Stopping")
        page.wait_for_timeout(300)  # the OCPP log is written in small batches
        assert _remote_stops(engine) > stops_before
    finally:
        server.run(ws.close())
        task.cancel()


def test_the_pages_work_under_their_content_security_policy(world):
    """The CSP forbids inline script and style attributes: the pages must run without tripping it."""
    server, page, ids = world["server"], world["page"], world["ids"]
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    login(page, server, "support@acme.example", target=f"/sessions/{ids['completed']}")
    page.wait_for_selector('#telemetry-card[data-charts-ready="1"]')  # uPlot drew the charts
    page.wait_for_timeout(200)
    assert not violations, violations
    swatch = page.locator("#telemetry-card .swatch").first
    assert swatch.evaluate("e => getComputedStyle(e).color") != "rgb(0, 0, 0)"  # colour set through the DOM
    page.goto(f"{server.url}/sessions")
    page.wait_for_load_state("load")
    assert page.locator('meta[name="csrf-token"]').count() == 1
    assert not violations, violations
    policy = page.evaluate("async () => (await fetch('/sessions')).headers.get('content-security-policy')")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
