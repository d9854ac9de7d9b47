"""`chargeledger serve` as a child process on free ports, against the test's database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chargeledger_serve(engine, tmp_path: Path, *options: str, children: list | None = None):
    """Yields (http base URL, OCPP websocket base URL); the child is stopped with SIGTERM at the end (and is added
    to `children`, for a test that kills it)."""
    http_port, ocpp_port = free_port(), free_port()
    env = {**os.environ, "CHARGELEDGER_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    log_path = tmp_path / f"serve-{http_port}.log"
    with open(log_path, "wb") as log:
        child = subprocess.Popen([str(Path(sys.executable).parent / "chargeledger"), "serve", "--http-port",
                                  str(http_port), "--ocpp-port", str(ocpp_port), *options], env=env, stdout=log,
                                 stderr=log)
    if children is not None:
        children.append(child)
    try:
        deadline = time.monotonic() + 60
        for port in (ocpp_port, http_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert child.poll() is None, log_path.read_text()[-3000:]
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.1)
        yield f"http://127.0.0.1:{http_port}", f"ws://127.0.0.1:{ocpp_port}"
    finally:
        if child.poll() is not None:
            return
        stop(child, grace=20)


def stop(child: subprocess.Popen, grace: float) -> None:
    """SIGTERM, and SIGKILL if the process has not ended within `grace` seconds."""
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(10)
