"""What the OCPP gateway's group commit costs per charger message: SQL statements, commits and CPU.

    .venv/bin/python bench/ocpp_statements.py --sessions 300 --stations 50 --rate 50 --database postgres

The gateway runs in this process (as `serve` runs it, the outbox's reactions handed to another process, so only
the gateway's own writes are counted); the chargers of bench/stop_fleet.py in a client process send, per session,
StartTransaction, StopTransaction and StatusNotification Available (the vehicle left: UNPLUGGED and SETTLED).
Counted: the statements and commits the writer thread ran (a SQLAlchemy listener; a pipelined raw-rows write or
an executemany counts as one), and the CPU seconds of the writer thread and of this whole process (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event  # noqa: E402

from chargeledger.ledger import outbox  # noqa: E402
from chargeledger.ocpp.gateway import Gateway, GatewaySettings  # noqa: E402
from databases import fresh_engine  # noqa: E402
from stop_fleet import run_fleet  # noqa: E402
from ocpi_push import _network  # noqa: E402

WRITER = "ocpp-group-commit"


def _cpu(path: str) -> float:
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _writer_stat() -> str:
    for thread in threading.enumerate():
        if thread.name == WRITER:
            return f"/proc/self/task/{thread.native_id}/stat"
    raise RuntimeError("no group-commit thread")


async def _run(engine, args) -> None:
    outbox.hand_off(engine)  # the settlement runs elsewhere: count the gateway's writes only
    gateway = Gateway(engine, GatewaySettings(command_timeout=5.0, log_flush_every=0.2, sweep_interval=3600))
    await gateway.start("127.0.0.1", args.port)
    counts = {"statements": 0, "commits": 0}
    texts: dict[str, int] = {}

    def count(key):
        def listener(*args, **_kw):
            if threading.current_thread().name == WRITER:
                counts[key] += 1
                if key == "statements" and args[0].in_transaction():
                    text = " ".join(str(args[2]).split())[:110]
                    texts[text] = texts.get(text, 0) + 1
        return listener

    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine, "commit", count("commits"))
    try:
        writer = _writer_stat()
        before = dict(counts)
        cpu_writer, cpu_all = _cpu(writer), _cpu("/proc/self/stat")
        fleet = await asyncio.to_thread(run_fleet, f"ws://127.0.0.1:{gateway.port}", args.stations, args.sessions,
                                        args.rate, 1)
        await gateway.log.flush()
        cpu_writer, cpu_all = _cpu(writer) - cpu_writer, _cpu("/proc/self/stat") - cpu_all
        statements = counts["statements"] - before["statements"]
        commits = counts["commits"] - before["commits"]
    finally:
        await gateway.stop()
    messages = 3 * len(fleet)
    print(f"[{engine.dialect.name}] {len(fleet)} sessions on {args.stations} chargers at {args.rate:g} stops/s, "
          f"{messages} messages (Start, Stop, StatusNotification Available each; the fleet's connections before): "
          f"{statements / messages:.2f} SQL statements and {commits / messages:.2f} commits per message in the "
          f"writer thread, {gateway.group.jobs / max(gateway.group.batches, 1):.1f} works a batch; CPU per session: "
          f"writer thread {cpu_writer * 1000 / len(fleet):.1f} ms, "
          f"gateway process {cpu_all * 1000 / len(fleet):.1f} ms")
    for text, n in sorted(texts.items(), key=lambda item: -item[1])[:args.top]:
        print(f"  {n / len(fleet):5.2f} a session  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--database", default="postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--port", type=int, default=0, help="the gateway's OCPP port (default: any free)")
    parser.add_argument("--db-prefix", default="bench")
    parser.add_argument("--top", type=int, default=0, help="also print the N most frequent statements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.database.split(","):
            engine, drop = fresh_engine(kind, folder, args.db_prefix + "_statements")
            try:
                _network(engine, args.stations)
                asyncio.run(_run(engine, args))
            finally:
                drop()


if __name__ == "__main__":
    main()
