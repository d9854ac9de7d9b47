"""A bench charger that speaks WebSocket (RFC 6455) itself on an asyncio protocol: the opening handshake, masked
text frames out, unmasked frames in, pings answered. It exists to make the load client cheap: its frames are
built and masked ahead (`load`), and while it runs each answer's arrival writes the next frame from the protocol
callback, with no task, future or library send/recv per message. Only what a bench charger needs: no
fragmentation out, no extensions, frames in of any length."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
import uuid
from urllib.parse import urlsplit

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, 1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame: masked, as a client must, with a fresh random key."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
    return head + key + masked


class RawStation(asyncio.Protocol):
    def __init__(self, station_id: str):
        self.station_id = station_id
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._open = False
        self._handshake: asyncio.Future | None = None
        self._answer: asyncio.Future | None = None  # the answer to `ask`, before the run
        self._frames: list[bytes] = []
        self._next = 0
        self._sent_at = 0.0
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.finished: asyncio.Future = asyncio.get_running_loop().create_future()
        self.ended = 0.0

    # -- asyncio.Protocol ------------------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        lost = ConnectionError(f"{self.station_id}: connection lost ({exc!r})")
        for waiting in (self._handshake, self._answer):
            if waiting is not None and not waiting.done():
                waiting.set_exception(lost)
        if not self.finished.done():  # frames left unsent or unanswered: an error of the run
            self.errors.append(repr(lost))
            self.ended = time.monotonic()
            self.finished.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self._buffer = bytes(self._buffer[:end]), self._buffer[end + 4:]
            self._open = True
            self._handshake.set_result(head)
        while True:
            got = self._take_frame()
            if got is None:
                return
            self._on_frame(*got)

    # -- frames in ---------------------------------------------------------------------------------------------------
    def _take_frame(self) -> tuple[int, bytes] | None:
        buf = self._buffer
        if len(buf) < 2:
            return None
        opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n:
            return None
        payload = bytes(buf[at:at + n])
        del buf[:at + n]
        return opcode, payload

    def _on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            self.transport.write(frame(PONG, payload))
        elif opcode == CLOSE:
            self.transport.close()
        elif opcode == TEXT:
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(payload)
            elif self._next:
                self._answered(payload)

    def _answered(self, payload: bytes) -> None:
        self.latencies.append(time.perf_counter() - self._sent_at)
        if not payload.startswith(b"[3,"):
            self.errors.append(payload[:200].decode("utf-8", "replace"))
        if self._next < len(self._frames):
            self._send_next()
        else:
            self.ended = time.monotonic()
            self.finished.set_result(None)

    # -- out ---------------------------------------------------------------------------------------------------------
    async def ask(self, action: str, payload: dict, timeout: float) -> dict:
        """One Call and its answer (before the run: boot, start a transaction)."""
        unique_id = uuid.uuid4().hex
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(frame(TEXT, json.dumps([2, unique_id, action, payload]).encode()))
        answer = json.loads(await asyncio.wait_for(self._answer, timeout))
        self._answer = None
        if answer[0] != 3 or answer[1] != unique_id:
            raise RuntimeError(f"{self.station_id} {action}: unexpected answer {answer!r}")
        return answer[2]

    def load(self, texts: list[str]) -> None:
        self._frames = [frame(TEXT, text.encode()) for text in texts]

    def start(self) -> None:
        """Send the loaded frames, each when the previous one is answered; `finished` resolves after the last."""
        if not self._frames:
            self.finished.set_result(None)
            return
        self._send_next()

    def _send_next(self) -> None:
        data = self._frames[self._next]
        self._next += 1
        self._sent_at = time.perf_counter()
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame(CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()


async def open_station(url: str, station_id: str, timeout: float) -> RawStation:
    """Connect to `url`/ocpp/`station_id` as an OCPP 1.6 charger and finish the opening handshake."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    _, station = await asyncio.wait_for(
        loop.create_connection(lambda: RawStation(station_id), parts.hostname, parts.port), timeout)
    key = base64.b64encode(os.urandom(16))
    station._handshake = loop.create_future()
    station.transport.write(
        f"GET {parts.path.rstrip('/')}/ocpp/{station_id} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n".encode())
    head = await asyncio.wait_for(station._handshake, timeout)
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    if not head.startswith(b"HTTP/1.1 101") or accept not in head:
        station.transport.close()
        raise ConnectionError(f"{station_id}: handshake refused: {head[:200]!r}")
    return station
