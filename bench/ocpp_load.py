"""OCPP gateway load: MeterValues throughput and latency with persistence (SQLite, PostgreSQL) against a bare
ocpp-library server that only acknowledges; then N concurrent connections sending heartbeats, with peak memory.

    .venv/bin/python bench/ocpp_load.py --stations 50 --messages 40 --connections 10000

Everything runs on loopback addresses, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from sqlalchemy import create_engine, insert, text

from chargeledger.ocpp.gateway import Gateway
from chargeledger.ocpp.settings import GatewaySettings
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import organisations, sites, stations

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class BareServer(ChargePoint):
    @on("BootNotification")
    def on_boot(self, **kw):
        return call_result.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("StartTransaction")
    def on_start(self, **kw):
        return call_result.StartTransaction(transaction_id=1, id_tag_info={"status": "Accepted"})

    @on("MeterValues")
    def on_meter(self, **kw):
        return call_result.MeterValues()

    @on("Heartbeat")
    def on_heartbeat(self, **kw):
        return call_result.Heartbeat(current_time=now())


async def bare_start(host, port):
    async def handler(ws):
        try:
            await BareServer(ws.request.path.rsplit("/", 1)[-1], ws).start()
        except websockets.ConnectionClosed:
            pass
    return await websockets.serve(handler, host, port, subprotocols=["ocpp1.6"], ping_interval=None)


def register_stations(engine, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(organisations).values(id="BENCH", name="Bench", country="NL", currency="EUR"))
        conn.execute(insert(sites).values(id="BENCH-SITE", organisation_id="BENCH", name="Bench", country="NL",
                                          time_zone="Europe/Amsterdam"))
        conn.execute(insert(stations), [{"id": f"B-{i}", "organisation_id": "BENCH", "site_id": "BENCH-SITE",
                                         "name": f"B-{i}", "status": "Unknown", "ocpp_version": "1.6"}
                                        for i in range(count)])


async def one_station(url: str, station_id: str, messages: int, latencies: list[float]) -> None:
    async with websockets.connect(f"{url}/ocpp/{station_id}", subprotocols=["ocpp1.6"]) as ws:
        cp = ChargePoint(station_id, ws, response_timeout=60)
        task = asyncio.create_task(cp.start())
        await cp.call(call.BootNotification(charge_point_model="Bench", charge_point_vendor="Bench"))
        tx = (await cp.call(call.StartTransaction(connector_id=1, id_tag="B", meter_start=0,
                                                  timestamp=now()))).transaction_id
        for i in range(messages):
            began = time.perf_counter()
            await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
                "timestamp": now(), "sampledValue": [{"value": str(i * 100)},
                                                     {"value": "11000", "measurand": "Power.Active.Import",
                                                      "unit": "W"}]}]))
            latencies.append(time.perf_counter() - began)
        task.cancel()


async def throughput(label: str, server_start, stations: int, messages: int) -> dict:
    server = await server_start("127.0.0.1", 0)
    port = (server.sockets[0] if hasattr(server, "sockets") else server._server.sockets[0]).getsockname()[1]
    latencies: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(one_station(f"ws://127.0.0.1:{port}", f"B-{i}", messages, latencies)
                           for i in range(stations)))
    elapsed = time.perf_counter() - began
    if hasattr(server, "stop"):
        await server.stop()
    else:
        server.close()
        await server.wait_closed()
    latencies.sort()
    result = {"server": label, "messages": len(latencies), "msg_per_s": round(len(latencies) / elapsed),
              "p50_ms": round(statistics.median(latencies) * 1000, 2),
              "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}
    print(json.dumps(result), flush=True)
    return result


async def gateway_starter(engine):
    async def start(host, port):
        gateway = Gateway(engine, GatewaySettings(sweep_interval=3600))
        await gateway.start(host, port)
        return gateway
    return start


def _hold_clients(port: int, first: int, count: int, hold: float, results) -> None:
    """A client process: `count` connections from several 127.0.0.x source addresses, one heartbeat each, held."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 1000, count + 1000))

    async def one(i):
        source = f"127.0.{(i // 20000) + 1}.{(i % 250) + 1}"
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ocpp/B-{first + i}", subprotocols=["ocpp1.6"],
                                      ping_interval=None, open_timeout=120, max_queue=4,
                                      family=2, local_addr=(source, 0))
        await ws.send(json.dumps([2, str(uuid.uuid4()), "Heartbeat", {}]))
        await ws.recv()
        return ws

    async def main():
        sem = asyncio.Semaphore(500)

        async def guarded(i):
            async with sem:
                try:
                    return await one(i)
                except Exception as exc:  # noqa: BLE001 - count failures, do not stop the run
                    return exc
        conns = await asyncio.gather(*(guarded(i) for i in range(count)))
        ok = [c for c in conns if not isinstance(c, Exception)]
        results.put((len(ok), [repr(c) for c in conns if isinstance(c, Exception)][:3]))
        await asyncio.sleep(hold)
        await asyncio.gather(*(c.close() for c in ok), return_exceptions=True)

    asyncio.run(main())


async def connections(count: int, hold: float) -> dict:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count * 2 + 1000, count * 2 + 1000))
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/conn.sqlite3")
    upgrade(engine)
    register_stations(engine, count)
    gateway = Gateway(engine, GatewaySettings(sweep_interval=3600))
    await gateway.start("127.0.0.1", 0)
    results = multiprocessing.Queue()
    procs, per = [], -(-count // 2)
    for n in range(2):
        p = multiprocessing.Process(target=_hold_clients,
                                    args=(gateway.port, n * per, min(per, count - n * per), hold, results))
        p.start()
        procs.append(p)
    began = time.perf_counter()
    held, errors = 0, []
    for _ in procs:
        while True:
            try:
                got = results.get_nowait()
                break
            except Exception:  # noqa: BLE001 - queue.Empty: keep serving while clients connect
                await asyncio.sleep(0.2)
        held += got[0]
        errors += got[1]
    connected_after = time.perf_counter() - began
    peak_connected = len(gateway.connected)
    for p in procs:
        while p.is_alive():
            await asyncio.sleep(0.2)
    await gateway.stop()
    out = {"connections_wanted": count, "held_with_heartbeat": held, "seen_by_gateway": peak_connected,
           "seconds_to_connect": round(connected_after, 1),
           "gateway_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "errors": errors}
    print(json.dumps(out), flush=True)
    return out


async def main(args) -> None:
    sqlite = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    upgrade(sqlite)
    register_stations(sqlite, args.stations)
    bare = await throughput("bare ocpp library", bare_start, args.stations, args.messages)
    lite = await throughput("gateway + SQLite", await gateway_starter(sqlite), args.stations, args.messages)
    print(f"SQLite gateway / bare: {lite['msg_per_s'] / bare['msg_per_s']:.0%}", flush=True)
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: report and go on
        print(f"PostgreSQL skipped: {type(exc).__name__}")
    else:
        pg = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
        upgrade(pg)
        register_stations(pg, args.stations)
        pgr = await throughput("gateway + PostgreSQL", await gateway_starter(pg), args.stations, args.messages)
        print(f"PostgreSQL gateway / bare: {pgr['msg_per_s'] / bare['msg_per_s']:.0%}", flush=True)
        pg.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    if args.connections:
        await connections(args.connections, args.hold)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40, help="MeterValues per station")
    parser.add_argument("--connections", type=int, default=0, help="also hold this many connections (max 20000)")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds to hold the connections")
    args = parser.parse_args()
    args.connections = min(args.connections, 20000)
    sys.exit(asyncio.run(main(args)))
