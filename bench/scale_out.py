"""Scale-out bench: 1 gateway vs 2 gateways (stations spread over both) on one PostgreSQL database and one NATS bus,
in the same run; then the connections one gateway holds with heartbeats and its RSS per connection.

    .venv/bin/python bench/scale_out.py --stations 200 --messages 50 --runs 3 --connections 5000

Each gateway is a process of its own, built as `serve --role gateway` builds it (the same Gateway with its bus
client, reactions handed to workers elsewhere with a notice on the bus), with the per-address and per-connection
limits lifted (the bench sends from one address). One client process holds every station (bench/chargers.py: raw
WebSocket frames, built and masked before the clock starts), each sending MeterValues one at a time; enough
stations keep one gateway busy. The setups take turns, each round starting with the next. Reported per setup:
MeterValues/s, p50/p99, the gateways' CPU per message (from /proc, all gateway processes summed; event loop and
other threads), messages per group commit, PostgreSQL's backends' CPU per message, nats-server's CPU per message
(it serves every process on the machine), the bus messages the gateways sent and received per MeterValues (their
client's counters, exact), and the load client's CPU. The bus's cost: the gateway's CPU per message with the bus
against the same gateway without it. 2 gateways against 1: raw, and projected from the CPU per message onto 2
cores for the servers (gateways, PostgreSQL, nats-server; one gateway on at most one core), the client elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from databases import fresh_engine  # noqa: E402
from chargers import REPLY_TIMEOUT, SPAWN, ask, connect_many, fast_loop, meter_client  # noqa: E402
from ocpp_load import UNLIMITED, _cpu_of, _pg_cpu, _wait_for, register_stations  # noqa: E402

BUS = os.environ.get("CHARGELEDGER_BUS_URL", "nats://127.0.0.1:4222")
OPEN_FILES = 200_000  # descriptors a gateway or client process may hold (50,000 connections and more)
CORES = 2  # the projection's cores for the servers (the "2 gateways on 2 cores")


# -- a gateway process ----------------------------------------------------------------------------------------------
def gateway_child(database_url: str, port: int, name: str, bus_url: str | None, window_bits: int | None,
                  profile: str | None = None, trace_memory: str | None = None, counters: str | None = None) -> None:
    from chargeledger import bus
    from chargeledger.ocpp.gateway import Gateway
    from chargeledger.ocpp.settings import GatewaySettings
    from chargeledger.storage.database import make_engine

    logging.getLogger("chargeledger.ocpp.gateway").setLevel(logging.ERROR)  # a warning per unsecured bench station
    _raise_open_files()
    if trace_memory:
        import tracemalloc

        tracemalloc.start(1)  # one frame: more would slow the gateway down too much to connect many

    async def run() -> None:
        client = await bus.connect(bus_url, name) if bus_url else None
        settings = GatewaySettings(sweep_interval=3600, **UNLIMITED)
        if window_bits is not None:
            settings.compression_window_bits = window_bits
        engine = make_engine(database_url)
        try:
            from chargeledger.composition import work_elsewhere
        except ImportError:  # an older tree, for a before/after comparison: what its serve did
            from chargeledger.ledger.outbox import hand_off

            hand_off(engine, bus.notice(client, bus.COMMITTED) if client is not None else None)
        else:
            work_elsewhere(engine, client)  # as `serve --role gateway`: workers elsewhere, woken over the bus
        gateway = Gateway(engine, settings, name, client)
        await gateway.start("127.0.0.1", port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        if counters:  # SIGUSR2: what crossed the bus so far, and how the writer grouped the messages
            loop.add_signal_handler(signal.SIGUSR2, lambda: _write_counters(counters, client, gateway))
        if trace_memory:  # SIGUSR1 while the connections are held: what they hold
            loop.add_signal_handler(signal.SIGUSR1, lambda: _write_memory_trace(trace_memory, len(gateway.connected)))
        await stop.wait()

    try:
        from chargeledger.composition import run as run_process  # the loop `serve` runs on (uvloop)
    except ImportError:  # an older tree, for a before/after comparison: it ran on asyncio's loop
        def run_process(main, fast_loop):
            return asyncio.run(main)

    fast_loop = not os.environ.get("SCALE_OUT_ASYNCIO_LOOP")
    if not profile:
        run_process(run(), fast_loop)
        return
    import cProfile

    profiler = cProfile.Profile()  # where a gateway's CPU per message goes: `--profile-gateway FILE`
    profiler.enable()
    try:
        run_process(run(), fast_loop)
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


def _write_counters(path: str, client, gateway) -> None:
    with open(path, "a") as out:
        out.write(json.dumps({"bus": dict(client.stats) if client is not None else None,
                              "batches": gateway.group.batches, "jobs": gateway.group.jobs}) + "\n")


def _counters(path: str) -> list[dict]:
    try:
        return [json.loads(line) for line in Path(path).read_text().splitlines()]
    except OSError:
        return []


def _raise_open_files(wanted: int = OPEN_FILES) -> None:
    """One descriptor per connection: lift the soft and hard limits (root may raise the hard one)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in (wanted, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, limit), max(hard, limit)))
            return
        except (ValueError, OSError):
            continue


def _write_memory_trace(path: str, connections: int) -> None:
    """What the gateway holds, by the line that allocated it (`--trace-memory FILE`), per held connection."""
    import tracemalloc

    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    with open(path, "w") as out:
        out.write(f"{connections} connections; traced {total / 1024:.0f} KB, "
                  f"{total / max(connections, 1) / 1024:.1f} KB per connection\n")
        for stat in snapshot.statistics("lineno")[:40]:
            out.write(f"{stat.size / max(connections, 1):8.0f} B/conn {stat.count:8} blocks  {stat.traceback[0]}\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gateway(database_url: str, name: str, bus_url: str | None, window_bits: int | None = None,
                  profile: str | None = None, trace_memory: str | None = None,
                  counters: str | None = None) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    args = [sys.executable, __file__, "--gateway-child", name, "--port", str(port), "--database", database_url]
    if counters:
        args += ["--counters", counters]
    if profile:
        args += ["--profile-gateway", profile]
    if trace_memory:
        args += ["--trace-memory", trace_memory]
    if window_bits is not None:
        args += ["--compression-window-bits", str(window_bits)]
    if bus_url:
        args += ["--bus", bus_url]
    child = subprocess.Popen(args)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, port
        except OSError:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gateway {name} did not start")
            time.sleep(0.1)


def _sampler(pid: int, path: str) -> subprocess.Popen:
    """py-spy sampling the gateway, all its threads (the group-commit writer too, which cProfile does not see),
    as collapsed stacks (`--sample-gateway FILE`; summarise with `--summarise FILE`)."""
    spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--format", "raw", "--output", path,
                             "--rate", "200", "--threads"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(path: str, top: int = 40) -> None:
    """Self and total samples per function from py-spy's collapsed stacks."""
    from collections import Counter

    own, total, samples = Counter(), Counter(), 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].rstrip(")") for f in stack.split(";")[1:]]
        n = int(count)
        samples += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    print(f"{samples} samples (threads summed)")
    print("self:")
    for frame, n in own.most_common(top):
        print(f"  {n / samples:6.1%}  {frame}")
    print("total:")
    for frame, n in total.most_common(top):
        print(f"  {n / samples:6.1%}  {frame}")


def _thread_cpu(pid: int, tid: int) -> float:
    """User + system seconds of one thread of a process (the main thread's id is the process's)."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _nats_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "nats-server":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- one throughput run -----------------------------------------------------------------------------------------------
async def throughput(label: str, engine, database_url: str, gateways: int, bus_url: str | None, stations: int,
                     messages: int, profile: str | None = None, sample: str | None = None) -> dict:
    folder = tempfile.mkdtemp()
    counters = [f"{folder}/gateway-{n}.jsonl" for n in range(gateways)]
    children = [start_gateway(database_url, f"bench-gw-{n}", bus_url, profile=profile, counters=counters[n])
                for n in range(gateways)]
    ready, results, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    # one client process holds every station; station n talks to gateway n % gateways
    client = SPAWN.Process(target=meter_client, args=([f"ws://127.0.0.1:{port}" for _, port in children],
                                                      [f"B-{i}" for i in range(stations)], messages, ready, go,
                                                      results))
    client.start()
    try:
        await _wait_for(ready, 1, REPLY_TIMEOUT * 2)
        pids = [child.pid for child, _ in children]
        for child, _ in children:
            child.send_signal(signal.SIGUSR2)  # counters before (the gateways are idle now)
        await asyncio.sleep(0.3)
        each_before = [_cpu_of(p) for p in pids]
        loop_before = [_thread_cpu(p, p) for p in pids]
        client_before = _cpu_of(client.pid)
        nats_before = sum(_cpu_of(p) for p in _nats_pids())
        pg_before = _pg_cpu(engine)
        spy = _sampler(pids[0], sample) if sample else None
        began = time.monotonic()
        go.set()
        got = await _wait_for(results, gateways, REPLY_TIMEOUT * 10)
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples when interrupted
            spy.wait(60)
        each_cpu = [_cpu_of(p) - b for p, b in zip(pids, each_before)]
        loop_cpu = sum(_thread_cpu(p, p) for p in pids) - sum(loop_before)
        client_cpu = _cpu_of(client.pid) - client_before
        nats_cpu = sum(_cpu_of(p) for p in _nats_pids()) - nats_before
        pg_after = _pg_cpu(engine)
        for child, _ in children:
            child.send_signal(signal.SIGUSR2)  # counters after
        await asyncio.sleep(0.5)
    finally:
        client.join(REPLY_TIMEOUT)
        for child, _ in children:
            child.terminate() if profile else child.kill()  # a profiled gateway writes its profile on SIGTERM
            child.wait()
    latencies = sorted(x for lat, _, _, _ in got for x in lat)
    count = len(latencies)
    elapsed = max(end for _, end, _, _ in got) - began
    gateway_cpu = sum(each_cpu)
    pg_cpu = sum(t - pg_before.get(pid, 0.0) for pid, t in pg_after.items())
    server_cpu = gateway_cpu + pg_cpu + nats_cpu
    shares = [len(lat) / count for lat, _, _, _ in got]  # each gateway's part of the messages
    bus_msgs = batches = jobs = 0
    for path in counters:
        marks = _counters(path)
        if len(marks) >= 2:
            first, last = marks[0], marks[-1]
            if first["bus"] is not None:
                bus_msgs += sum(last["bus"][k] - first["bus"][k] for k in ("in_msgs", "out_msgs"))
            batches += last["batches"] - first["batches"]
            jobs += last["jobs"] - first["jobs"]
    result = {"setup": label, "messages": count, "seconds": round(elapsed, 2), "msg_per_s": round(count / elapsed),
              "p50_ms": round(statistics.median(latencies) * 1000, 2),
              "p99_ms": round(latencies[max(0, int(count * 0.99) - 1)] * 1000, 2),
              "gateway_cpu_us_per_msg": round(gateway_cpu / count * 1e6),
              "postgres_cpu_us_per_msg": round(pg_cpu / count * 1e6),
              # nats-server serves every process on this machine: other work's messages count here too
              "nats_cpu_us_per_msg": round(nats_cpu / count * 1e6, 1),
              # what this setup's gateways sent and received on the bus while the MeterValues ran (exact)
              "bus_msgs_per_msg": round(bus_msgs / count, 4),
              "writer_batch": round(jobs / batches, 1) if batches else None,  # messages per group commit
              "client_cpu_us_per_msg": round(client_cpu / count * 1e6),
              "client_cores_busy": round(client_cpu / elapsed, 2),
              # capacity: MeterValues per CPU second, whatever else the cores were doing meanwhile
              "msg_per_gateway_cpu_s": [round(share * count / max(cpu, 1e-9)) for share, cpu in zip(shares, each_cpu)],
              "capacity_per_gateway_cpu_s": round(count / gateway_cpu),
              "capacity_per_server_cpu_s": round(count / server_cpu),
              # what these CPU costs allow on CORES cores for the servers alone (the load client elsewhere): the
              # gateways, PostgreSQL and nats-server share the cores, and one gateway uses at most one (one event
              # loop, its writer thread under the same GIL)
              "projected_msg_per_s": round(min([CORES * count / server_cpu] +
                                               [count / max(cpu, 1e-9) for cpu in each_cpu])),
              "gateway_cores_busy": round(gateway_cpu / elapsed, 2),
              "server_cores_busy": round(server_cpu / elapsed, 2),
              # the event loop (websockets, OCPP, schema checks) against the other threads (the group-commit
              # writer's SQL, lookups, the message log)
              "gateway_loop_cpu_us_per_msg": round(loop_cpu / count * 1e6),
              "gateway_threads_cpu_us_per_msg": round((gateway_cpu - loop_cpu) / count * 1e6)}
    errors = [e for _, _, errs, _ in got for e in errs]
    if errors:
        result["errors"] = errors
        result["error_count"] = sum(n for _, _, _, n in got)
    print(json.dumps(result), flush=True)
    return result


# -- connections one gateway holds ------------------------------------------------------------------------------------
SOURCES = [f"127.0.0.{n}" for n in range(2, 21)]  # client source addresses: ~28,000 ephemeral ports each
PER_CLIENT = 12_500  # connections per client process


def _heartbeat_client(port: int, first: int, count: int, every: float, hold: float, connected, go, results) -> None:
    """A client process: `count` stations connect (each from one of SOURCES) and send a Heartbeat; on `go`, each
    sends a Heartbeat every `every` seconds (at its own phase) for `hold` seconds, timed."""
    import random

    _raise_open_files()

    async def beat(ws, until: float, latencies: list[float], errors: list[str]) -> None:
        await asyncio.sleep(random.uniform(0, every))
        while time.monotonic() < until:
            began = time.perf_counter()
            try:
                await ask(ws, "Heartbeat", {})
            except Exception as exc:  # noqa: BLE001 - counted, the others go on
                errors.append(repr(exc))
                return
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(every)

    async def main():
        ok, failures = await connect_many(port, first, count, lambda n: SOURCES[n % len(SOURCES)])
        connected.put((len(ok), time.monotonic(), failures))
        await asyncio.get_running_loop().run_in_executor(None, go.wait, REPLY_TIMEOUT * 20)
        latencies: list[float] = []
        errors: list[str] = []
        until = time.monotonic() + hold
        await asyncio.gather(*(beat(ws, until, latencies, errors) for ws in ok))
        results.put((latencies, errors[:3], len(errors)))
        await asyncio.gather(*(c.close() for c in ok), return_exceptions=True)

    fast_loop()
    asyncio.run(main())


async def held_connections(database_url: str, count: int, hold: float, every: float,
                           window_bits: int | None = None, trace_memory: str | None = None) -> dict:
    """One gateway (with its bus) holds `count` connections that each sent a Heartbeat, then go on sending one
    every `every` seconds for `hold` seconds: its RSS per connection, the heartbeats' latency, its CPU."""
    import resource

    most = resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 150  # the gateway's own files, database, bus
    if count > most:
        # a sandbox without CAP_SYS_RESOURCE cannot raise the hard limit: one process holds no more sockets
        print(f"open files are limited to {most + 150} per process here (hard limit, not raisable): holding "
              f"{most} connections instead of {count}", flush=True)
        count = most
    child, port = start_gateway(database_url, "bench-gw-conn", BUS, window_bits, trace_memory=trace_memory)
    try:
        await asyncio.sleep(1.0)
        idle = _rss_kb(child.pid)
        connected, results, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
        clients = [SPAWN.Process(target=_heartbeat_client, args=(port, first, min(PER_CLIENT, count - first), every,
                                                                 hold, connected, go, results))
                   for first in range(0, count, PER_CLIENT)]
        began = time.monotonic()
        for client in clients:
            client.start()
        got = await _wait_for(connected, len(clients), REPLY_TIMEOUT * 20)
        seconds_to_connect = max(g[1] for g in got) - began
        await asyncio.sleep(3.0)  # the last handshakes' writes and buffers settle
        loaded = _rss_kb(child.pid)
        if trace_memory:
            child.send_signal(signal.SIGUSR1)
            await asyncio.sleep(10)  # the snapshot takes a while; heartbeats start after it
        cpu_before = _cpu_of(child.pid)
        go.set()
        beats = await _wait_for(results, len(clients), hold + REPLY_TIMEOUT * 2)
        hold_cpu = _cpu_of(child.pid) - cpu_before
        after = _rss_kb(child.pid)
        for client in clients:
            client.join(REPLY_TIMEOUT)
    finally:
        child.kill()
        child.wait()
    held = sum(g[0] for g in got)
    latencies = sorted(x for lat, _, _ in beats for x in lat)
    out = {"compression_window_bits": "setting" if window_bits is None else window_bits,
           "connections_wanted": count, "held_with_heartbeat": held, "seconds_to_connect": round(seconds_to_connect, 1),
           "gateway_idle_rss_mb": round(idle / 1024), "gateway_rss_mb": round(loaded / 1024),
           "rss_kb_per_connection": round((loaded - idle) / max(held, 1), 1),
           "rss_kb_per_connection_after_heartbeats": round((after - idle) / max(held, 1), 1),
           "heartbeats": len(latencies), "heartbeat_every_s": every,
           "heartbeats_per_s": round(len(latencies) / hold, 1),
           "heartbeat_p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
           "heartbeat_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2)
           if latencies else None,
           "gateway_cpu_share_while_holding": round(hold_cpu / hold, 3),
           "gateway_cpu_us_per_heartbeat": round(hold_cpu / max(len(latencies), 1) * 1e6),
           "errors": [e for g in got for e in g[2]] + [e for _, errs, _ in beats for e in errs],
           "heartbeat_errors": sum(n for _, _, n in beats)}
    print(json.dumps(out), flush=True)
    return out


def _median(runs: list[dict]) -> dict:
    """Each figure's own median over the runs (on a shared machine one run's figures swing together)."""
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def report(runs: dict[str, list[dict]], args) -> None:
    """The medians, and the ratios the issue asks for, each also per round (the setups of one round ran side by
    side in time, so a round's ratio is the least disturbed by what else the machine did)."""
    labels = list(runs)
    print(f"median of {args.runs} runs, {args.stations} stations x {args.messages} MeterValues, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}:")
    for label in labels:
        r = _median(runs[label])
        print(f"  {label:18} {r['msg_per_s']:6.0f} msg/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
              f"gateways {r['gateway_cpu_us_per_msg']:.0f} us/msg (event loop {r['gateway_loop_cpu_us_per_msg']:.0f}, "
              f"other threads {r['gateway_threads_cpu_us_per_msg']:.0f}; {r['writer_batch']} msg per commit)  "
              f"postgres {r['postgres_cpu_us_per_msg']:.0f} us/msg  nats-server {r['nats_cpu_us_per_msg']} us/msg  "
              f"bus {r['bus_msgs_per_msg']} msg/msg  load client {r['client_cpu_us_per_msg']:.0f} us/msg "
              f"({r['client_cores_busy']} cores)  projected on {CORES} cores {r['projected_msg_per_s']:.0f} msg/s")
    alone, with_bus, two = (runs[label] for label in labels)

    def ratios(top, bottom, key, plus=None):
        got = [(t[key] + (t[plus] if plus else 0)) / b[key] for t, b in zip(top, bottom)]
        return statistics.median(got), " ".join(f"{x:.2f}" for x in got)

    bus, bus_each = ratios(with_bus, alone, "gateway_cpu_us_per_msg")
    bus_nats, nats_each = ratios(with_bus, alone, "gateway_cpu_us_per_msg", "nats_cpu_us_per_msg")
    print(f"  bus cost: {bus - 1:+.0%} gateway CPU per message with the bus against without (per round {bus_each}); "
          f"with nats-server's CPU (all its clients') added: {bus_nats - 1:+.0%} (per round {nats_each}); "
          f"bus messages per MeterValues: {statistics.median(r['bus_msgs_per_msg'] for r in with_bus)}")
    raw, raw_each = ratios(two, with_bus, "msg_per_s")
    print(f"  2 gateways vs 1: {raw:.2f}x the MeterValues/s (raw, on {os.cpu_count()} shared cores, the load client "
          f"on them too; per round {raw_each})")
    projected, projected_each = ratios(two, with_bus, "projected_msg_per_s")
    print(f"  2 gateways vs 1, projected from the CPU per message: {projected:.2f}x (per round {projected_each}): "
          f"the gateways, PostgreSQL and nats-server on {CORES} cores, one gateway on at most one, the load client "
          f"elsewhere")
    core, core_each = ratios(two, with_bus, "capacity_per_gateway_cpu_s")
    print(f"  capacity per gateway CPU second, 2 gateways / 1: {core:.2f}x (per round {core_each}), so 2 gateways "
          f"with a core each and PostgreSQL on other cores give {2 * core:.2f}x one")


async def main(args) -> None:
    _raise_open_files()
    stations = max(args.stations, args.connections)
    engine, drop = fresh_engine("postgres", tempfile.mkdtemp(), "scale_out")
    database_url = engine.url.render_as_string(hide_password=False)
    register_stations(engine, stations)
    setups = [("1 gateway, no bus", 1, None), ("1 gateway + NATS", 1, BUS), ("2 gateways + NATS", 2, BUS)]
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in setups}
    try:
        if args.profile_gateway or args.sample_gateway:
            await throughput("1 gateway + NATS, profiled", engine, database_url, 1, BUS, args.stations,
                             args.messages, args.profile_gateway, args.sample_gateway)
        elif args.messages:
            for turn in range(args.runs):
                # the setups take turns, each round starting with the next one: a noisy moment hits all of them,
                # and none always runs first on a fresh database (or always after another's rows)
                for label, gateways, bus_url in setups[turn % 3:] + setups[:turn % 3]:
                    runs[label].append(await throughput(label, engine, database_url, gateways, bus_url,
                                                        args.stations, args.messages))
        connections = [await held_connections(database_url, args.connections, args.hold, args.heartbeat_every,
                                              bits, args.trace_memory)
                       for bits in ((None, 9) if args.compare_deflate else (None,))] if args.connections else []
    finally:
        drop()
    if args.messages and not (args.profile_gateway or args.sample_gateway):
        report(runs, args)
    for held in connections:
        print(f"  one gateway held {held['held_with_heartbeat']} of {held['connections_wanted']} connections "
              f"(permessage-deflate window bits {held['compression_window_bits']}; the setting: off), connected in "
              f"{held['seconds_to_connect']} s: {held['rss_kb_per_connection']} KB RSS per connection "
              f"({held['gateway_rss_mb']} MB); {held['heartbeats']} heartbeats in {args.hold:g} s "
              f"({held['heartbeats_per_s']}/s): p50 {held['heartbeat_p50_ms']} ms, p99 {held['heartbeat_p99_ms']} ms; "
              f"gateway CPU {held['gateway_cpu_us_per_heartbeat']} us per heartbeat; "
              f"{held['heartbeat_errors']} heartbeat errors")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=200,
                        help="stations, spread over the gateways; enough that one gateway is busy all the time")
    parser.add_argument("--messages", type=int, default=50, help="MeterValues per station and run (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=5000, help="connections one gateway holds (0: none)")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the connections are held, beating")
    parser.add_argument("--heartbeat-every", type=float, default=10.0, metavar="SECONDS",
                        help="each held connection sends a Heartbeat this often (at its own phase)")
    parser.add_argument("--compare-deflate", action="store_true",
                        help="hold the connections again with permessage-deflate at 9 window bits")
    parser.add_argument("--trace-memory", metavar="FILE",
                        help="the held gateway under tracemalloc: what it holds, by line, goes to FILE")
    parser.add_argument("--asyncio-loop", action="store_true",
                        help="gateways on asyncio's own event loop instead of uvloop (what `serve` runs on)")
    parser.add_argument("--profile-gateway", metavar="FILE",
                        help="one run, 1 gateway + NATS, under cProfile: its stats go to FILE (pstats)")
    parser.add_argument("--sample-gateway", metavar="FILE",
                        help="one run, 1 gateway + NATS, sampled by py-spy (all threads): collapsed stacks to FILE")
    parser.add_argument("--summarise", metavar="FILE", help="print the functions of a --sample-gateway FILE, exit")
    parser.add_argument("--gateway-child", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--bus", help=argparse.SUPPRESS)
    parser.add_argument("--compression-window-bits", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--counters", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.asyncio_loop:
        os.environ["SCALE_OUT_ASYNCIO_LOOP"] = "1"  # the gateway children read it
    if args.summarise:
        summarise(args.summarise)
    elif args.gateway_child:
        gateway_child(args.database, args.port, args.gateway_child, args.bus, args.compression_window_bits,
                      args.profile_gateway, args.trace_memory, args.counters)
    else:
        sys.exit(asyncio.run(main(args)))
