"""A light OCPP 1.6 fleet for the CDR-delay bench: chargers in several client processes, raw websocket frames.

One process with the ocpp library's ChargePoint reached only 38 stops/s on the shared 2-core machine (the library
validates every frame against its JSON schemas, and the clients shared one event loop with the bench's eMSP). Here
each client process runs its stations on its own loop and sends plain frames, so the rate asked is the rate offered.

Session k starts on station k % stations, is stopped at `begin + k / rate` (StopTransaction), and the vehicle leaves
right after the answer (StatusNotification Available). Per session the client records, in time.time():
stop sent, stop answered, left answered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import time
from datetime import datetime, timedelta, timezone

import websockets

SPAWN = multiprocessing.get_context("spawn")  # forking a process whose bench threads hold locks is unsafe
REPLY_TIMEOUT = 60.0


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class _Station:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)

    async def ask(self, action: str, payload: dict) -> dict:
        my_id = str(next(self.ids))
        await self.ws.send(json.dumps([2, my_id, action, payload]))
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), REPLY_TIMEOUT))
            if frame[0] == 2:  # the central system asks something (a trigger, a configuration): accept it
                await self.ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            elif frame[1] == my_id:
                if frame[0] != 3:
                    raise RuntimeError(f"{action} refused: {frame}")
                return frame[2]


async def _connect(url: str, station_id: str):
    """The gateway admits a few handshakes at a time per address (503 beyond): try again shortly, as chargers do."""
    for attempt in range(50):
        try:
            return await websockets.connect(f"{url}/ocpp/{station_id}", subprotocols=["ocpp1.6"])
        except websockets.exceptions.InvalidStatus:
            await asyncio.sleep(0.05 * (attempt + 1))
    raise RuntimeError(f"{station_id} could not connect")


async def _station(url: str, station_id: str, keys: list[int], begin: float, rate: float, out: dict) -> None:
    async with await _connect(url, station_id) as ws:
        st = _Station(ws)
        for k in keys:
            uid = f"BENCH-{k}"
            now = datetime.now(timezone.utc)
            started = await st.ask("StartTransaction", {"connectorId": 1, "idTag": uid, "meterStart": 0,
                                                        "timestamp": _iso(now - timedelta(minutes=30))})
            await asyncio.sleep(max(0.0, begin + k / rate - time.time()))
            sent = time.time()
            await st.ask("StopTransaction", {"meterStop": 7000, "timestamp": _iso(now),
                                             "transactionId": started["transactionId"], "reason": "EVDisconnected"})
            answered = time.time()
            await st.ask("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                                                 "timestamp": _iso(now + timedelta(seconds=1))})
            out[uid] = (begin + k / rate, sent, answered, time.time())


def _client(url: str, stations: list[int], total_stations: int, sessions: int, begin: float, rate: float,
            results) -> None:
    out: dict[str, tuple[float, float, float, float]] = {}

    async def main() -> None:
        async def one(n: int) -> None:
            await asyncio.sleep(n * 0.02)  # connect gradually, as a fleet coming online would
            await _station(url, f"CP-{n}", list(range(n, sessions, total_stations)), begin, rate, out)
        await asyncio.gather(*(one(n) for n in stations))

    try:
        asyncio.run(main())
    finally:
        results.put(out)


def run_fleet(url: str, stations: int, sessions: int, rate: float, clients: int) -> dict[str, tuple]:
    """Runs the sessions; returns uid -> (scheduled stop, stop sent, stop answered, left answered), time.time()."""
    begin = time.time() + 6.0 + stations * 0.02  # every client is up and connected before the first stop
    results = SPAWN.Queue()
    procs = [SPAWN.Process(target=_client, args=(url, list(range(c, stations, clients)), stations, sessions,
                                                 begin, rate, results)) for c in range(clients)]
    for p in procs:
        p.start()
    merged: dict[str, tuple] = {}
    for _ in procs:
        merged.update(results.get(timeout=sessions / rate + 300))
    for p in procs:
        p.join(10)
    return merged
