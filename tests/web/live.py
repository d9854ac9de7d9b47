"""A real server for browser tests: uvicorn and the OCPP gateway in one event loop on a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import uvicorn

from chargeledger.http.app import create_app
from chargeledger.http.serving import server_config
from chargeledger.http.settings import HttpSettings
from chargeledger.ocpp.gateway import Gateway
from chargeledger.ocpp.settings import GatewaySettings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    def __init__(self, engine):
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self._start())

    def run(self, coroutine, timeout: float = 30):
        """Run a coroutine in the server's loop (where the gateway and chargers live) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        self.gateway = Gateway(self.engine, GatewaySettings(command_timeout=2.0, log_flush_every=0.05,
                                                            sweep_interval=3600))
        await self.gateway.start("127.0.0.1", 0)
        sock = _free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        # The server `chargeledger serve` runs: same middleware, protocol and limits.
        settings = HttpSettings()
        self.server = uvicorn.Server(server_config(create_app(self.engine, self.gateway, settings), settings,
                                                   log_level="warning", lifespan="off"))
        self.task = self.loop.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            await asyncio.sleep(0.02)

    async def _stop(self) -> None:
        self.server.should_exit = True
        await self.task
        await self.gateway.stop()

    def close(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def login(page, server: LiveServer, email: str, password: str = "correct horse battery", target: str = "/sessions"):
    page.context.clear_cookies()
    page.goto(f"{server.url}/login?next={target}")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('button[type="submit"]')
    assert page.url.startswith(server.url + target.split("?")[0]), page.url


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
