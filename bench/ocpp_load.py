"""OCPP gateway load: MeterValues throughput and latency with persistence (SQLite, PostgreSQL) against a bare
ocpp-library server that only acknowledges; then N concurrent connections sending heartbeats, with peak memory.

    .venv/bin/python bench/ocpp_load.py --stations 50 --messages 200 --runs 3 --connections 10000

The server under test runs in this process; the chargers run in separate client processes (bench/chargers.py: raw
WebSocket frames, built and masked once), so both servers get the same load and the server's own CPU time per message can be read. For
PostgreSQL the CPU of its backends serving the bench database is reported too. Runs alternate between the servers
and the median run is reported. Everything runs on loopback addresses, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from sqlalchemy import create_engine, insert, text

from chargeledger.ocpp.gateway import Gateway
from chargeledger.ocpp.settings import GatewaySettings
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import organisations, sites, stations

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chargers import REPLY_TIMEOUT, SPAWN, connect_many, fast_loop, meter_client, now  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BARE = "bare ocpp library"


# The bench measures throughput from one loopback address: the per-address and per-connection limits (which the
# security tests cover) would otherwise be what it measures.
UNLIMITED = {"connections_per_address": 10**6, "handshakes_per_address": 10**6, "messages_per_second": 1e9,
             "message_burst": 10**9}


# -- the servers under test -------------------------------------------------------------------------------------
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


class Bare:
    def __init__(self):
        self.server = None

    async def start(self, host, port):
        async def handler(ws):
            try:
                await BareServer(ws.request.path.rsplit("/", 1)[-1], ws).start()
            except websockets.ConnectionClosed:
                pass
        self.server = await websockets.serve(handler, host, port, subprotocols=["ocpp1.6"], ping_interval=None)

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


def register_stations(engine, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(organisations).values(id="BENCH", name="Bench", country="NL", currency="EUR"))
        conn.execute(insert(sites).values(id="BENCH-SITE", organisation_id="BENCH", name="Bench", country="NL",
                                          time_zone="Europe/Amsterdam"))
        conn.execute(insert(stations), [{"id": f"B-{i}", "organisation_id": "BENCH", "site_id": "BENCH-SITE",
                                         "name": f"B-{i}", "status": "Unknown", "ocpp_version": "1.6",
                                         "unsecured": True}
                                        for i in range(count)])


# -- CPU accounting -----------------------------------------------------------------------------------------------
def _pg_pids(engine) -> list[int]:
    if engine is None or engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
                    .scalars())


def _cpu_of(pid: int) -> float:
    """User + system seconds of a local process, from /proc (0 when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pg_cpu(engine) -> dict[int, float]:
    return {pid: _cpu_of(pid) for pid in _pg_pids(engine)}


# -- one throughput run ---------------------------------------------------------------------------------------------
async def _wait_for(queue, count: int, timeout: float) -> list:
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(None, queue.get, True, timeout) for _ in range(count)]


async def throughput(label: str, server, engine, stations: int, messages: int, procs: int) -> dict:
    await server.start("127.0.0.1", 0)
    ready, results, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    groups = [[f"B-{i}" for i in range(stations) if i % procs == n] for n in range(procs)]
    clients = [SPAWN.Process(target=meter_client, args=([f"ws://127.0.0.1:{server.port}"], ids, messages, ready, go,
                                                        results)) for ids in groups if ids]
    for client in clients:
        client.start()
    try:
        await _wait_for(ready, len(clients), REPLY_TIMEOUT * 2)
        pg_before, cpu_before = _pg_cpu(engine), time.process_time()
        began = time.monotonic()
        go.set()
        got = await _wait_for(results, len(clients), REPLY_TIMEOUT * 10)
        cpu = time.process_time() - cpu_before
        pg_after = _pg_cpu(engine)
    finally:
        for client in clients:
            client.join(REPLY_TIMEOUT)
        await server.stop()
    latencies = sorted(x for lat, _, _, _ in got for x in lat)
    elapsed = max(end for _, end, _, _ in got) - began
    count = len(latencies)
    result = {"server": label, "messages": count, "seconds": round(elapsed, 2),
              "msg_per_s": round(count / elapsed), "p50_ms": round(statistics.median(latencies) * 1000, 2),
              "p99_ms": round(latencies[max(0, int(count * 0.99) - 1)] * 1000, 2),
              "server_cpu_us_per_msg": round(cpu / count * 1e6)}
    if pg_after:
        pg = sum(t - pg_before.get(pid, 0.0) for pid, t in pg_after.items())
        result["postgres_cpu_us_per_msg"] = round(pg / count * 1e6)
    errors = [e for _, _, errs, _ in got for e in errs]
    if errors:
        result["errors"] = errors
    print(json.dumps(result), flush=True)
    return result


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["msg_per_s"])[len(runs) // 2]


# -- concurrent connections ---------------------------------------------------------------------------------------
def _hold_clients(port: int, first: int, count: int, sources: int, hold: float, results) -> None:
    """A client process: `count` connections spread over several 127.0.x.y sources, one heartbeat each, held."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 500, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    def source(n: int) -> str:
        return f"127.0.{1 + n % sources}.{1 + n // sources % 250}"

    async def main():
        ok, failures = await connect_many(port, first, count, source, at_once=500)
        results.put((len(ok), time.monotonic(), failures))
        await asyncio.sleep(hold)
        await asyncio.gather(*(c.close() for c in ok), return_exceptions=True)

    fast_loop()
    asyncio.run(main())


async def connections(count: int, hold: float, procs: int) -> dict:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count = min(count, hard - 1000)  # the gateway needs one descriptor per connection plus its own
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/conn.sqlite3")
    upgrade(engine)
    register_stations(engine, count)
    gateway = Gateway(engine, GatewaySettings(sweep_interval=3600, **UNLIMITED))
    await gateway.start("127.0.0.1", 0)
    results = SPAWN.Queue()
    per = -(-count // procs)
    clients = [SPAWN.Process(target=_hold_clients, args=(gateway.port, n * per, min(per, count - n * per), 8, hold,
                                                         results)) for n in range(procs) if n * per < count]
    began = time.monotonic()
    for client in clients:
        client.start()
    got = await _wait_for(results, len(clients), REPLY_TIMEOUT * 10)
    peak_connected = len(gateway.connected)
    for client in clients:
        while client.is_alive():
            await asyncio.sleep(0.2)
    await gateway.stop()
    out = {"connections_wanted": count, "held_with_heartbeat": sum(g[0] for g in got),
           "seen_by_gateway": peak_connected, "seconds_to_connect": round(max(g[1] for g in got) - began, 1),
           "gateway_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           "errors": [e for g in got for e in g[2]]}
    print(json.dumps(out), flush=True)
    return out


# -- the whole bench ------------------------------------------------------------------------------------------------
def _postgres(stations: int):
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: report and go on
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return admin, name, None
    pg = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    upgrade(pg)
    register_stations(pg, stations)
    return admin, name, pg


async def main(args) -> None:
    sqlite = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    upgrade(sqlite)
    register_stations(sqlite, args.stations)
    admin, name, pg = _postgres(args.stations)
    servers = [(BARE, lambda: Bare(), None),
               ("gateway + SQLite", lambda: Gateway(sqlite, GatewaySettings(sweep_interval=3600, **UNLIMITED)), sqlite)]
    if pg is not None:
        servers.append(("gateway + PostgreSQL", lambda: Gateway(pg, GatewaySettings(sweep_interval=3600, **UNLIMITED)), pg))
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in servers}
    try:
        if args.messages:
            for _ in range(args.runs):
                for label, make, engine in servers:
                    runs[label].append(await throughput(label, make(), engine, args.stations, args.messages,
                                                        args.client_processes))
    finally:
        if pg is not None:
            pg.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    if args.messages:
        bare = _median_run(runs[BARE])
        # Other work on the machine moves every figure: the ratios are only comparable at a similar load.
        print(f"median of {args.runs} runs, {args.stations} stations x {args.messages} MeterValues, "
              f"{args.client_processes} client processes, load average {os.getloadavg()[0]:.1f}:")
        for label, _, _ in servers:
            r = _median_run(runs[label])
            extra = f", postgres {r['postgres_cpu_us_per_msg']} us/msg" if "postgres_cpu_us_per_msg" in r else ""
            # Each round runs the servers back to back: the median of per-round ratios resists a noisy machine.
            paired = statistics.median(g["msg_per_s"] / b["msg_per_s"] for g, b in zip(runs[label], runs[BARE]))
            print(f"  {label:22} {r['msg_per_s']:6} msg/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                  f"server CPU {r['server_cpu_us_per_msg']} us/msg{extra}  {r['msg_per_s'] / bare['msg_per_s']:.0%}"
                  f" of bare (per-round ratios: median {paired:.0%})", flush=True)
    if args.connections:
        await connections(args.connections, args.hold, args.client_processes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200, help="MeterValues per station and run (0: none)")
    parser.add_argument("--runs", type=int, default=3, help="runs per server; the median run is reported")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=0, help="also hold this many connections (max 20000)")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds to hold the connections")
    args = parser.parse_args()
    args.connections = min(args.connections, 20000)
    sys.exit(asyncio.run(main(args)))
