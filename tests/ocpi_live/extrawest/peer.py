"""The extrawest eMSP (emsp.py) as a child process on a free loopback port, in its own venv."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.ocpi_live.extrawest import venv
from tests.ocpi_live.serve import free_port, stop


@dataclass
class ExtrawestEmsp:
    base: str
    received_file: Path
    log: Path
    child: subprocess.Popen

    def ready(self, seconds: float = 30) -> "ExtrawestEmsp":
        """Waits until it listens: started first, it comes up while `chargeledger serve` does (about 3 s each)."""
        deadline = time.monotonic() + seconds
        port = int(self.base.rsplit(":", 1)[1])
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                assert self.child.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the extrawest eMSP did not start"
                time.sleep(0.1)

    def received(self, module: str | None = None) -> list[dict]:
        """What the library took and stored, in arrival order: {"module", "action", "id", "data"}."""
        if not self.received_file.exists():
            return []
        rows = [json.loads(line) for line in self.received_file.read_text().splitlines() if line]
        return [r for r in rows if module is None or r["module"] == module]


@contextmanager
def extrawest_emsp(tmp_path: Path, token_b: str = "extrawest-token-b"):
    """Yields it started, not yet listening: call ready() before using it."""
    python = venv.python()
    port = free_port()
    received, log_path = tmp_path / "extrawest-received.jsonl", tmp_path / "extrawest.log"
    # the library's settings (pydantic BaseSettings) read the environment: where its own URLs point
    env = {"PATH": os.environ.get("PATH", ""), "OCPI_HOST": f"127.0.0.1:{port}", "PROTOCOL": "http"}
    with open(log_path, "wb") as log:
        child = subprocess.Popen([str(python), str(venv.EMSP), str(port), token_b, str(received)], env=env,
                                 cwd=tmp_path, stdout=log, stderr=log)
    try:
        yield ExtrawestEmsp(f"http://127.0.0.1:{port}", received, log_path, child)
    finally:
        stop(child, grace=10)
