"""The benches' chargers: load clients that cost the shared cores as little as possible, so what is measured is the
gateway.

- `ask`, `connect_many`: websockets-library stations that connect, send a Heartbeat and are held (held-connection
  benches);
- `meter_client`: a process whose stations boot, start a transaction and then send MeterValues one at a time, each
  the moment the previous one is answered. Its stations speak WebSocket frames themselves on asyncio protocols
  (raw_station.py): every MeterValues frame is built, masked and encoded before the clock starts, so a message
  costs the client one write and one small header parse, not a library's send/recv path.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from raw_station import RawStation, open_station

REPLY_TIMEOUT = 60.0  # seconds: a client gives up on a reply after this, so every run ends by itself
SPAWN = multiprocessing.get_context("spawn")  # forking a process with a running loop and DB threads is unsafe


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def fast_loop() -> None:
    """Clients use uvloop when present so that they cost the shared CPUs as little as possible."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# -- held connections (websockets) ----------------------------------------------------------------------------------
async def ask(ws, action: str, payload: dict) -> object:
    unique_id = uuid.uuid4().hex
    await ws.send(json.dumps([2, unique_id, action, payload]))
    answer = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT))
    if answer[0] != 3 or answer[1] != unique_id:
        raise RuntimeError(f"{action}: unexpected answer {answer!r}")
    return answer[2]


async def connect_many(port: int, first: int, count: int, source_of: Callable[[int], str],
                       at_once: int = 400) -> tuple[list, list[str]]:
    """Stations B-{first}… connect, each from its own source address (ephemeral ports are per source), and send a
    Heartbeat, `at_once` handshakes at a time. Returns the open connections and the first few failures (a failure
    is counted; the others go on)."""
    import websockets

    sem = asyncio.Semaphore(at_once)

    async def one(i: int):
        async with sem:
            try:
                ws = await websockets.connect(f"ws://127.0.0.1:{port}/ocpp/B-{first + i}", subprotocols=["ocpp1.6"],
                                              ping_interval=None, open_timeout=REPLY_TIMEOUT, max_queue=4,
                                              compression=None, local_addr=(source_of(first + i), 0))
                await ask(ws, "Heartbeat", {})
                return ws
            except Exception as exc:  # noqa: BLE001 - count failures, do not stop the run
                return exc

    conns = await asyncio.gather(*(one(i) for i in range(count)))
    return ([c for c in conns if not isinstance(c, Exception)],
            [repr(c) for c in conns if isinstance(c, Exception)][:3])


# -- MeterValues load (raw frames) ----------------------------------------------------------------------------------
def meter_frame(tx: int, i: int) -> str:
    return json.dumps([2, f"m{i}", "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [{
        "timestamp": now(), "sampledValue": [{"value": str(i * 100)},
                                             {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"}]}]}])


async def _prepare(url: str, station_id: str, messages: int) -> RawStation:
    station = await open_station(url, station_id, REPLY_TIMEOUT)
    await station.ask("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Bench"}, REPLY_TIMEOUT)
    tx = (await station.ask("StartTransaction", {"connectorId": 1, "idTag": "B", "meterStart": 0,
                                                 "timestamp": now()}, REPLY_TIMEOUT))["transactionId"]
    station.load([meter_frame(tx, i) for i in range(messages)])  # encoded and masked before the clock starts
    return station


def meter_client(urls: list[str], ids: list[str], messages: int, ready, go, results) -> None:
    """One process for all stations (station n talks to urls[n % len(urls)]): each boots and starts a transaction;
    on `go` all send their MeterValues, one at a time each. Puts (latencies, end time, first errors, errors) on
    `results` once per url, in url order, so a caller can tell the gateways apart."""

    async def main():
        stations = await asyncio.gather(*(_prepare(urls[n % len(urls)], station_id, messages)
                                          for n, station_id in enumerate(ids)))
        ready.put(len(ids))
        await asyncio.get_running_loop().run_in_executor(None, go.wait, REPLY_TIMEOUT * 5)
        for station in stations:
            station.start()
        outcome = await asyncio.wait_for(asyncio.gather(*(s.finished for s in stations), return_exceptions=True),
                                         REPLY_TIMEOUT * 10)
        for station, failed in zip(stations, outcome):
            if isinstance(failed, Exception):
                station.errors.append(repr(failed))
        for n in range(len(urls)):
            mine = stations[n::len(urls)]
            results.put(([x for s in mine for x in s.latencies], max(s.ended or time.monotonic() for s in mine),
                         [e for s in mine for e in s.errors][:3], sum(len(s.errors) for s in mine)))
        for station in stations:
            station.close()

    fast_loop()
    asyncio.run(main())
