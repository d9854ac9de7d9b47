"""A real `chargeledger serve` HTTP server (uvicorn, our protocol and middleware) on a free port, in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from contextlib import contextmanager

import uvicorn

from chargeledger.http.app import create_app
from chargeledger.http.serving import server_config
from chargeledger.http.settings import HttpSettings


@contextmanager
def serving(engine, settings: HttpSettings | None = None, app=None):
    settings = settings or HttpSettings()
    app = app or create_app(engine, None, settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(server_config(app, settings, log_level="warning", lifespan="off"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets=[sock]),), daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        loop.close()
