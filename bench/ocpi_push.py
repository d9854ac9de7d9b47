"""Live OCPI pushes: how many a partner receives per second, and how long a CDR takes to reach it.

    .venv/bin/python bench/ocpi_push.py --pushes 500 --drain 300 --sessions 300 --rate 5 20 50 100 --stations 50

1. Pushes per second: `pushes` session objects queued for one registered eMSP (our test peer: FastAPI under uvicorn
   on loopback), then delivered by the Pusher as `chargeledger serve` runs it (one HTTP request per push, lanes side
   by side, each in order); baseline: the same requests one after another from a bare loop.
2. Settlement throughput (`--drain N`): N sessions answered by `serve --no-worker`, then the outbox worker alone
   drains them in this process: sessions settled (priced, charged, CDR queued) per second, commits and CPU per
   session.
3. StopTransaction -> CDR at the eMSP, per `--rate`: `chargeledger serve` (gateway, API, outbox worker and pusher
   in one process) and `stations` OCPP 1.6 chargers over real websockets, in `--clients` processes
   (bench/stop_fleet.py); sessions with the eMSP's tokens are stopped at `rate` per second (StopTransaction, then
   the vehicle leaves: StatusNotification Available). Printed: the rate offered and the rate the clients reached,
   p50/p99/max of the delay from sending StopTransaction to the eMSP receiving the CDR, and the same delay step by
   step (answer, vehicle left, settlement, CDR queued, CDR at the eMSP).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chargeledger.directory import registry  # noqa: E402
from chargeledger.domain.network import (  # noqa: E402
    Connector, ConnectorStandard, CurrentType, Evse, Organisation, Site, Station,
)
from chargeledger.domain.events import EventKind  # noqa: E402
from chargeledger.ledger import outbox  # noqa: E402
from chargeledger.ocpi import partners, queue  # noqa: E402
from chargeledger.storage.tables import ocpi_pushes, session_events, session_settlements  # noqa: E402
from chargeledger.storage.tables import sessions as session_table  # noqa: E402
from chargeledger.tariffs import store as tariffs  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from databases import fresh_engine  # noqa: E402
from stop_fleet import run_fleet  # noqa: E402
from tests.ocpi_live import serve as serve_module  # noqa: E402
from tests.ocpi_live.peer import COUNTRY, PARTY, Peer, running_peer, token_header  # noqa: E402
from tests.ocpi_live.serve import chargeledger_serve  # noqa: E402
from tests.settlement.helpers import tariff_text  # noqa: E402
from tests.ocpi_live.conftest import LOOPBACK_ALLOWED  # noqa: E402

# the peer listens on 127.0.0.1, which partner URLs may name only when allowed (ocpi/allowed.py)
os.environ.setdefault("CHARGELEDGER_OCPI_ALLOWED_NETWORKS", LOOPBACK_ALLOWED)


def peer_headers(peer) -> dict[str, str]:
    return token_header(peer.token_b)


class Ports:
    """The bench's TCP ports: from `first` on when given (a shared machine hands out ranges), else any free ones."""

    def __init__(self, first: int):
        self._next = itertools.count(first) if first else None

    def take(self) -> int:
        return next(self._next) if self._next else 0

    @contextmanager
    def serving(self):
        """`chargeledger serve` started inside takes its HTTP and OCPP ports from here."""
        if self._next is None:
            yield
            return
        free_port, serve_module.free_port = serve_module.free_port, self.take
        try:
            yield
        finally:
            serve_module.free_port = free_port


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms (n={len(ordered)})")


def _network(engine, stations: int) -> None:
    registry.add_organisation(engine, Organisation("ACME", "ACME Charging", "NL", "EUR"))
    registry.add_site(engine, Site("ACME-SITE", "ACME", "Depot", "Main street 1", "1011AB", "Amsterdam", "NL",
                                   "Europe/Amsterdam", latitude=Decimal("52.37"), longitude=Decimal("4.89")))
    plug = Connector(1, ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), 3)
    for n in range(stations):
        registry.add_station(engine, Station(f"CP-{n}", "ACME", "ACME-SITE", f"CP-{n}",
                                             evses=(Evse(f"NL*ACM*EB{n}*1", 1, (plug,)),)), unsecured=True)
    tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")


def _register(engine, base: str, peer) -> None:
    _partner, token_a = partners.invite(engine, "ACME", "Bench eMSP", COUNTRY, PARTY)
    answer = peer.register(f"{base}/ocpi/versions", token_a)
    assert answer.status_code == 200, answer.text


def pushes_per_second(kind: str, folder: str, count: int, ports: Ports, label: str) -> None:
    engine, drop = fresh_engine(kind, folder, label)
    try:
        _network(engine, 1)
        # the peer runs in this process: it keeps no copies, so its work is what it was before they existed
        with running_peer(Peer(keeps=False), port=ports.take()) as peer, ports.serving(), \
                chargeledger_serve(engine, Path(folder), "--no-worker") as (base, _ocpp):
            _register(engine, base, peer)
            partner = partners.listing(engine)[0]
            body = {"country_code": "NL", "party_id": "ACM", "id": "0", "start_date_time": "2024-01-01T00:00:00Z",
                    "kwh": Decimal("12.3456"), "cdr_token": {"country_code": COUNTRY, "party_id": PARTY,
                                                             "uid": "T", "type": "RFID", "contract_id": "C"},
                    "auth_method": "WHITELIST", "location_id": "ACME-SITE", "evse_uid": "NL*ACM*EB0*1",
                    "connector_id": "1", "currency": "EUR", "status": "ACTIVE", "last_updated": "2024-01-01T00:00:00Z"}
            with engine.begin() as conn:
                for n in range(count):
                    queue.enqueue(conn, partner.id, "sessions", str(n), "PUT", f"/NL/ACM/{n}", {**body, "id": str(n)})
            started = time.perf_counter()
            pusher = queue.Pusher(engine, poll_interval=0.05).start()  # as serve runs it: the lanes side by side
            deadline = time.monotonic() + 600
            while len(peer.pushes("sessions")) < count and time.monotonic() < deadline:
                time.sleep(0.01)
            took = time.perf_counter() - started
            pusher.stop()
            order = [int(p.path.rsplit("/", 1)[1]) for p in peer.pushes("sessions")]
            assert sorted(order) == list(range(count))  # each once
            # baseline: the same requests to the same peer from a bare loop, no queue, no database
            text = queue.dumps(body)
            with httpx.Client(timeout=queue.TIMEOUT) as client:
                bare = time.perf_counter()
                for n in range(count):
                    client.put(f"{peer.base}/emsp/sessions/NL/ACM/{n}", content=text,
                               headers={**peer_headers(peer), "Content-Type": "application/json"})
                bare = time.perf_counter() - bare
            print(f"[{kind}] {count} pushes to one partner by the pusher ({queue.LANES} lanes, each in order): "
                  f"{count / took:.0f} pushes/s; the same PUTs one after another from a bare loop (no queue, no "
                  f"database): {count / bare:.0f}/s ({bare * 1000 / count:.2f} ms each)")
    finally:
        drop()


def _at_peer_wall(peer) -> dict[str, float]:
    """uid -> time.time() the eMSP received its CDR (the peer stamps arrivals with time.monotonic())."""
    shift = time.time() - time.monotonic()
    return {p.body["cdr_token"]["uid"]: p.at + shift for p in peer.pushes("cdrs")}


def _stored_times(engine) -> dict[str, dict[str, float]]:
    """Per uid, when each step was stored (time.time()): the SETTLED event, the settlement, the PRICED event, the
    CDR queued."""
    e = session_events.c
    out: dict[str, dict[str, float]] = {}
    with engine.connect() as conn:
        for uid, kind, recorded in conn.execute(
                select(session_table.c.id_token, e.kind, e.recorded_at)
                .join(session_table, session_table.c.id == e.session_id)
                .where(e.kind.in_([EventKind.SETTLED.value, EventKind.PRICED.value]))):
            out.setdefault(uid, {}).setdefault(kind, recorded.timestamp())
        for uid, settled in conn.execute(select(session_table.c.id_token, session_settlements.c.settled_at).join(
                session_settlements, session_settlements.c.session_id == session_table.c.id)):
            out.setdefault(uid, {})["settlement"] = settled.timestamp()
        for body, created in conn.execute(select(ocpi_pushes.c.body, ocpi_pushes.c.created_at)
                                          .where(ocpi_pushes.c.module == "cdrs")):
            out.setdefault(json.loads(body)["cdr_token"]["uid"], {})["queued"] = created.timestamp()
    return out


STEPS = (  # (label, from, to): the CDR's way from the charger to the eMSP, step by step
    ("StopTransaction answered (the gateway's group commit)", "sent", "answered"),
    ("the vehicle left: StatusNotification Available answered, SETTLED committed", "answered", "left"),
    ("SETTLED committed -> settlement stored (the outbox worker reaching it, pricing, writing)", "settled", "settlement"),
    ("settlement stored -> CDR queued (the worker reaching PRICED, the OCPI reaction)", "settlement", "queued"),
    ("CDR queued -> at the eMSP (the pusher's lane and the HTTP POST)", "queued", "arrived"),
)


def _breakdown(fleet: dict[str, tuple], stored: dict[str, dict[str, float]], arrived: dict[str, float]) -> list[str]:
    times = {}
    for uid, (_scheduled, sent, answered, left) in fleet.items():
        got = stored.get(uid, {})
        times[uid] = {"sent": sent, "answered": answered, "left": left, "settled": got.get(EventKind.SETTLED.value),
                      "settlement": got.get("settlement"), "queued": got.get("queued"), "arrived": arrived.get(uid)}
    lines = []
    for label, a, b in STEPS:
        spans = [t[b] - t[a] for t in times.values() if t[a] is not None and t[b] is not None]
        if spans:
            lines.append(f"    {label}: {_quantiles(spans)}")
    return lines


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux: /proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _servers(engine, folder: str, bus: str | None, children: list):
    """Yields (http base, OCPP URL). Without a bus: one `chargeledger serve` (gateway, API, outbox worker and
    pusher in one process, so about one core). With one: `serve --role gateway --role api` and a `chargeledger
    worker` beside it, woken over the bus, so the chargers' answers and the settlement can use a core each."""
    if bus is None:
        with chargeledger_serve(engine, Path(folder), children=children) as urls:
            yield urls
        return
    env = {**os.environ, "CHARGELEDGER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "CHARGELEDGER_BUS_URL": bus}
    before = os.environ.get("CHARGELEDGER_BUS_URL")
    os.environ["CHARGELEDGER_BUS_URL"] = bus  # chargeledger_serve passes its environment on
    log = open(Path(folder) / "worker.log", "wb")
    worker = subprocess.Popen([str(Path(sys.executable).parent / "chargeledger"), "worker"], env=env, stdout=log,
                              stderr=log)
    children.append(worker)
    try:
        with chargeledger_serve(engine, Path(folder), "--role", "gateway", "--role", "api",
                                children=children) as urls:
            yield urls
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        if before is None:
            os.environ.pop("CHARGELEDGER_BUS_URL", None)
        else:
            os.environ["CHARGELEDGER_BUS_URL"] = before


def stop_to_cdr(kind: str, folder: str, sessions: int, rate: float, stations: int, clients: int,
                ports: Ports, label: str, bus: str | None = None) -> None:
    """StopTransaction -> CDR at the eMSP, with everything in one `chargeledger serve` as deployed, or (with a bus)
    the gateway and API in one process and the worker in another. Also printed: the CPU the server processes
    used per session, from the first stop until the last CDR arrived (their process times)."""
    engine, drop = fresh_engine(kind, folder, label)
    children: list = []
    try:
        _network(engine, stations)
        with running_peer(Peer(keeps=False), port=ports.take()) as peer, ports.serving(), \
                _servers(engine, folder, bus, children) as (base, ocpp_url):
            _register(engine, base, peer)
            _tokens(peer, sessions)
            cpu = sum(_cpu_seconds(c.pid) for c in children)
            fleet = run_fleet(ocpp_url, stations, sessions, rate, clients)
            deadline = time.monotonic() + 180
            while len(peer.pushes("cdrs")) < sessions and time.monotonic() < deadline:
                time.sleep(0.05)
            used = [_cpu_seconds(c.pid) for c in children]
            cpu = sum(used) - cpu
            arrived = _at_peer_wall(peer)
        stored = _stored_times(engine)
        delays = [arrived[uid] - fleet[uid][1] for uid in fleet if uid in arrived]
        sent = sorted(t[1] for t in fleet.values())
        late = sorted(t[1] - t[0] for t in fleet.values())
        achieved = (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 else 0.0
        print(f"[{kind}] {sessions} sessions on {stations} chargers in {clients} client processes: stops offered at "
              f"{rate:g}/s, sent at {achieved:.1f}/s (a stop left its schedule by p99 "
              f"{late[min(len(late) - 1, int(len(late) * 0.99))] * 1000:.0f} ms); {len(arrived)} CDRs arrived")
        print(f"  {'two processes (gateway+api, worker)' if bus else 'one serve process'}: "
              f"{cpu * 1000 / max(len(fleet), 1):.1f} ms server CPU per session (sessions started, stopped, "
              f"settled and pushed; the fleet's connections and the tokens are before)")
        print(f"  StopTransaction -> CDR at the eMSP: {_quantiles(delays)}")
        print("\n".join(_breakdown(fleet, stored, arrived)))
    finally:
        drop()


def _tokens(peer, sessions: int) -> None:
    with httpx.Client(timeout=30) as http:
        for k in range(sessions):
            answer = http.put(peer.their_endpoints["tokens:RECEIVER"] + f"/{COUNTRY}/{PARTY}/BENCH-{k}",
                              json=json.loads(queue.dumps(peer.token(f"BENCH-{k}"))), headers=peer.headers())
            assert answer.status_code == 200, answer.text


def settlement_throughput(kind: str, folder: str, sessions: int, stations: int, clients: int, ports: Ports,
                          label: str) -> None:
    """The outbox worker alone: `sessions` sessions answered by `serve --no-worker` (their events wait in the
    outbox), then one drain in this process, timed, with the commits it made counted: what the worker can settle
    per second, OCPI reactions included (the pushes are queued, not sent)."""
    engine, drop = fresh_engine(kind, folder, label)
    try:
        _network(engine, stations)
        with running_peer(Peer(keeps=False), port=ports.take()) as peer, ports.serving(), \
                chargeledger_serve(engine, Path(folder), "--no-worker") as (base, ocpp_url):
            _register(engine, base, peer)
            _tokens(peer, sessions)
            outbox.drain(engine)  # registration and tokens: not what is measured
            run_fleet(ocpp_url, stations, sessions, 1000.0, clients)
        events = outbox.backlog(engine)
        commits, statements = [0], [0]
        event.listen(engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
        event.listen(engine, "before_cursor_execute",
                     lambda *_args: statements.__setitem__(0, statements[0] + 1))
        cpu, began = time.process_time(), time.perf_counter()
        outbox.drain(engine)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        with engine.connect() as conn:
            settled = conn.execute(select(func.count()).select_from(session_settlements)).scalar()
            cdrs = conn.execute(select(func.count()).select_from(ocpi_pushes)
                                .where(ocpi_pushes.c.module == "cdrs")).scalar()
        print(f"[{kind}] outbox drain of {sessions} stopped sessions ({events} events): {settled} settled and {cdrs} "
              f"CDRs queued in {took:.2f} s = {settled / took:.1f} sessions/s; {commits[0] / max(settled, 1):.1f} "
              f"commits, {statements[0] / max(settled, 1):.1f} SQL statements and {cpu * 1000 / max(settled, 1):.1f} "
              f"ms CPU per session")
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--rate", type=float, nargs="+", default=[100.0], help="stops per second (one run each)")
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--clients", type=int, default=2, help="charger client processes")
    parser.add_argument("--drain", type=int, default=0, help="also time the outbox worker alone on this many sessions")
    parser.add_argument("--db-prefix", default="bench", help="PostgreSQL databases are named PREFIX_ocpi_…")
    parser.add_argument("--ports", type=int, default=0, help="first of the TCP ports to use (default: any free)")
    parser.add_argument("--bus", default=None, help="nats://HOST:PORT: run the gateway+API and the worker as two "
                        "processes on this bus (the delay runs; default: one serve process)")
    args = parser.parse_args()
    if args.bus and "sqlite" in args.database.split(","):
        parser.error("--bus runs two processes on one database: PostgreSQL only (--database postgres)")
    ports = Ports(args.ports)
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.database.split(","):
            if args.pushes:
                pushes_per_second(kind, folder, args.pushes, ports, args.db_prefix + "_ocpi")
            if args.drain:
                settlement_throughput(kind, folder, args.drain, args.stations, args.clients, ports,
                                      args.db_prefix + "_drain")
            if args.sessions:
                for rate in args.rate:
                    stop_to_cdr(kind, folder, args.sessions, rate, args.stations, args.clients, ports,
                                args.db_prefix + "_ocpi", args.bus)


if __name__ == "__main__":
    main()
