"""The real server process (`chargeledger serve`) for the fault suite: started on free ports, killed with SIGKILL
at the suite's chosen moments, and restarted on the same database and ports, as an operator's supervisor would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

# The launcher runs the real command line; it only gives the simulated payment partner an outage switch (a file
# that exists while the partner is "down"), which the simulated gateway has no option for.
LAUNCHER = "import tests.faults.partner as p; p.install(); from chargeledger.cli.main import app; app()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, folder: Path, settle_after_minutes: float = 0.05):
        self.url = database_url
        self.folder = folder
        self.http_port, self.ocpp_port = free_port(), free_port()
        self.settle_after = settle_after_minutes
        self.partner_down_flag = folder / "partner-down"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self.log = folder / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ocpp(self) -> str:
        return f"ws://127.0.0.1:{self.ocpp_port}"

    def start(self, timeout: float = 60) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "CHARGELEDGER_DATABASE_URL": self.url, "PYTHONPATH": path,
               "CHARGELEDGER_PARTNER_DOWN_FLAG": str(self.partner_down_flag),
               "CHARGELEDGER_REPORT_DIR": str(self.folder / "reports")}
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, "serve", "--http-port", str(self.http_port),
                 "--ocpp-port", str(self.ocpp_port), "--settle-after", str(self.settle_after),
                 "--ping-interval", "0"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    with socket.create_connection(("127.0.0.1", self.ocpp_port), timeout=2):
                        return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout} s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush; what was acknowledged must already be on disk."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
