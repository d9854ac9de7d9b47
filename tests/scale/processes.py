"""Real `chargeledger serve --role …` processes for the scale-out tests, on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    child: subprocess.Popen
    port: int  # the OCPP port of a gateway, the HTTP port of an API, 0 for a worker
    log: Path
    name: str

    def kill(self) -> None:
        """SIGKILL: nothing in the process gets to clean up."""
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGKILL)
        self.child.wait(10)

    def stop(self) -> None:
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
            try:
                self.child.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self, seconds: float = 40) -> "Served":
        """Listening on its port (a worker has none: started is ready)."""
        deadline = time.monotonic() + seconds
        while self.port:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                assert self.child.poll() is None, self.output()[-3000:]
                assert time.monotonic() < deadline, f"{self.name} did not start: {self.output()[-3000:]}"
                time.sleep(0.1)
        return self


def serve(tmp_path: Path, database_url: str, bus_url: str | None, *roles: str, name: str,
          env: dict[str, str] | None = None, options: tuple[str, ...] = ()) -> Served:
    return start(tmp_path, database_url, bus_url, *roles, name=name, env=env, options=options).ready()


def start(tmp_path: Path, database_url: str, bus_url: str | None, *roles: str, name: str,
          env: dict[str, str] | None = None, options: tuple[str, ...] = (), command: str = "serve") -> "Served":
    """Started, not yet listening: start several, then wait for each with `ready()` (they start side by side).
    `command="worker"` starts the older `chargeledger worker` instead (no roles)."""
    port = free_port()
    args = [str(Path(sys.executable).parent / "chargeledger"), command]
    for role in roles:
        args += ["--role", role]
    if "gateway" in roles:
        args += ["--ocpp-port", str(port)]
    if "api" in roles:
        args += ["--http-port", str(port)]
    environ = {**os.environ, "CHARGELEDGER_DATABASE_URL": database_url, "CHARGELEDGER_PROCESS_NAME": name,
               **(env or {})}
    if bus_url:
        environ["CHARGELEDGER_BUS_URL"] = bus_url
    log = tmp_path / f"{name}.log"
    child = subprocess.Popen(args + list(options), env=environ, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return Served(child, port if {"gateway", "api"} & set(roles) else 0, log, name)
