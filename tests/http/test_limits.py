"""HTTP limits against a real server, from raw sockets: body size, header and keep-alive deadlines, request
timeout, connection cap. Each limit is set small here; the defaults are in HttpSettings and docs/security.md."""

from __future__ import annotations

import socket
import time

import pytest

from chargeledger.http.settings import HttpSettings
from chargeledger.storage.database import make_engine, upgrade
from tests.http.live import serving


@pytest.fixture
def engine(tmp_path):  # limits sit in front of the database: one engine is enough
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_until_closed(sock: socket.socket, limit: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started, data = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic() - started


def test_a_declared_oversized_body_is_refused_before_it_is_sent(engine):
    with serving(engine) as (url, _app):
        sock = _connect(url)
        sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 52428800\r\n\r\n" + b"{" * 1000)
        answer, took = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"x-frame-options: DENY" in answer and b"larger than 1048576 bytes" in answer
        assert took < 5  # answered and closed at once: the other 50 MB are never read


def test_a_streamed_oversized_body_is_cut_off(engine):
    with serving(engine, HttpSettings(max_body_bytes=64 * 1024)) as (url, _app):
        sock = _connect(url)
        sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sent, chunk = 0, b"%x\r\n%s\r\n" % (16 * 1024, b" " * 16 * 1024)
        try:
            while sent < 50 * 1024 * 1024:
                sock.sendall(chunk)
                sent += 16 * 1024
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server hung up on us: what we want
        assert sent < 10 * 1024 * 1024, "the server kept reading"
        answer, _took = _read_until_closed(sock)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize("sent", [b"", b"GET /api/health HTTP/1.1\r\nHo"], ids=["nothing", "half a header"])
def test_a_connection_without_complete_headers_is_closed_at_the_deadline(engine, sent):
    with serving(engine, HttpSettings(header_timeout=1.0)) as (url, _app):
        sock = _connect(url)
        sock.sendall(sent)
        answer, took = _read_until_closed(sock)
        assert answer == b"" and 0.8 < took < 3, took


def test_an_idle_keep_alive_connection_is_closed_and_a_slow_one_still_served(engine):
    with serving(engine, HttpSettings(header_timeout=2.0, keep_alive_timeout=1.0)) as (url, _app):
        sock = _connect(url)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        time.sleep(1.0)  # slow, but within the header deadline
        sock.sendall(b"\r\n")
        answer, took = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in answer
        assert 0.8 < took < 3, took  # then idle: closed by the keep-alive timeout


def test_a_request_that_does_not_finish_in_time_gets_503(engine):
    with serving(engine, HttpSettings(request_timeout=1.0)) as (url, _app):
        sock = _connect(url)  # a body that trickles: 10 of the 100 bytes promised, then silence
        sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"email\": ")
        answer, took = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"longer than 1 s" in answer and took < 4


def test_a_slow_handler_gets_503(engine):
    from chargeledger.http.app import create_app

    settings = HttpSettings(request_timeout=0.5)
    app = create_app(engine, None, settings)
    app.add_api_route("/api/slow", lambda: time.sleep(3) or {"late": True})  # a handler stuck on something
    with serving(engine, settings, app) as (url, _app):
        sock = _connect(url)
        sock.sendall(b"GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        answer, took = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 503") and took < 2.5, (answer[:100], took)


def test_connections_beyond_the_cap_are_answered_503(engine):
    with serving(engine, HttpSettings(max_connections=2, header_timeout=5)) as (url, _app):
        held = [_connect(url) for _ in range(2)]
        time.sleep(0.2)
        sock = _connect(url)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer, _took = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:100]
        for other in held:
            other.close()
        time.sleep(0.2)
        sock = _connect(url)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_until_closed(sock)[0].startswith(b"HTTP/1.1 200")
