"""Live OCPI pushes: how many a partner receives per second, and how long a CDR takes to reach it.

    .venv/bin/python bench/ocpi_push.py --pushes 2000 --sessions 300 --rate 100 --stations 50 --database sqlite

1. Pushes per second: `pushes` session objects queued for one registered eMSP (our test peer: FastAPI under uvicorn
   on loopback), then delivered by the Pusher as `chargeledger serve` runs it (one HTTP request per push, lanes side
   by side, each in order); baseline: the same requests one after another from a bare loop.
2. StopTransaction -> CDR at the eMSP: `chargeledger serve` (gateway, API, outbox worker and pusher in one process)
   and `stations` OCPP 1.6 chargers over real websockets; sessions with the eMSP's tokens are stopped at `rate` per
   second (StopTransaction, then the vehicle leaves: StatusNotification Available); per session, the time from
   sending StopTransaction to the eMSP receiving its CDR (settled, priced, queued, POSTed). Printed: achieved stop
   rate, p50, p99, max.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from ocpp.v16 import call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chargeledger.directory import registry  # noqa: E402
from chargeledger.domain.network import (  # noqa: E402
    Connector, ConnectorStandard, CurrentType, Evse, Organisation, Site, Station,
)
from chargeledger.ocpi import partners, queue  # noqa: E402
from chargeledger.storage.tables import ocpi_pushes, session_settlements  # noqa: E402
from chargeledger.storage.tables import sessions as session_table  # noqa: E402
from chargeledger.tariffs import store as tariffs  # noqa: E402
from sqlalchemy import select  # noqa: E402
from databases import fresh_engine  # noqa: E402
from tests.ocpi_live.peer import COUNTRY, PARTY, Peer, running_peer, token_header  # noqa: E402
from tests.ocpi_live.serve import chargeledger_serve  # noqa: E402
from tests.ocpp.helpers import charger, iso  # noqa: E402
from tests.settlement.helpers import tariff_text  # noqa: E402
from tests.ocpi_live.conftest import LOOPBACK_ALLOWED  # noqa: E402

# the peer listens on 127.0.0.1, which partner URLs may name only when allowed (ocpi/allowed.py)
os.environ.setdefault("CHARGELEDGER_OCPI_ALLOWED_NETWORKS", LOOPBACK_ALLOWED)


def peer_headers(peer) -> dict[str, str]:
    return token_header(peer.token_b)


sent_wall: dict[str, float] = {}


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


def pushes_per_second(kind: str, folder: str, count: int) -> None:
    engine, drop = fresh_engine(kind, folder, "bench_ocpi")
    try:
        _network(engine, 1)
        # the peer runs in this process: it keeps no copies, so its work is what it was before they existed
        with running_peer(Peer(keeps=False)) as peer, chargeledger_serve(engine, Path(folder), "--no-worker") as (
                base, _ocpp):
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


async def _session(cp, uid: str, stop_at: float, sent: dict[str, float]) -> None:
    now = datetime.now(timezone.utc)
    started = await cp.call(call.StartTransaction(connector_id=1, id_tag=uid, meter_start=0,
                                                  timestamp=iso(now - timedelta(minutes=30))))
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    sent[uid] = time.monotonic()
    sent_wall[uid] = time.time()
    await cp.call(call.StopTransaction(meter_stop=7000, timestamp=iso(now), transaction_id=started.transaction_id,
                                       reason="EVDisconnected"))
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                          timestamp=iso(now + timedelta(seconds=1))))


async def _stations(url: str, stations: int, sessions: int, rate: float, sent: dict[str, float]) -> float:
    """Each station stays connected and runs its sessions one after another; stops are spread at `rate`."""
    begin = time.monotonic() + 2.0 + stations * 0.05
    per_station = [list(range(n, sessions, stations)) for n in range(stations)]

    async def one_station(n: int) -> None:
        await asyncio.sleep(n * 0.05)  # connect gradually, as a fleet coming online would
        async with charger(url, f"CP-{n}") as cp:
            for k in per_station[n]:
                await _session(cp, f"BENCH-{k}", begin + k / rate, sent)

    await asyncio.gather(*(one_station(n) for n in range(stations)))
    return begin


def stop_to_cdr(kind: str, folder: str, sessions: int, rate: float, stations: int) -> None:
    engine, drop = fresh_engine(kind, folder, "bench_ocpi")
    try:
        _network(engine, stations)
        with running_peer() as peer, chargeledger_serve(engine, Path(folder)) as (base, ocpp_url):
            _register(engine, base, peer)
            for k in range(sessions):
                answer = peer.send("PUT", "tokens", f"/{COUNTRY}/{PARTY}/BENCH-{k}", peer.token(f"BENCH-{k}"))
                assert answer.status_code == 200, answer.text
            sent: dict[str, float] = {}
            begin = asyncio.run(_stations(ocpp_url, stations, sessions, rate, sent))
            stops_done = max(sent.values())
            deadline = time.monotonic() + 120
            while len(peer.pushes("cdrs")) < sessions and time.monotonic() < deadline:
                time.sleep(0.05)
            arrived = {p.body["cdr_token"]["uid"]: p.at for p in peer.pushes("cdrs")}
        delays = [arrived[uid] - sent[uid] for uid in sent if uid in arrived]
        queued = {}  # when each CDR entered the push queue: what settlement took, and what the push took after it
        with engine.connect() as conn:
            for body, created in conn.execute(select(ocpi_pushes.c.body, ocpi_pushes.c.created_at)
                                              .where(ocpi_pushes.c.module == "cdrs")):
                queued[json.loads(body)["cdr_token"]["uid"]] = created.timestamp()
            settled = dict(conn.execute(select(session_table.c.id_token, session_settlements.c.settled_at).join(
                session_settlements, session_settlements.c.session_id == session_table.c.id)).all())
        settling = [settled[uid].timestamp() - sent_wall[uid] for uid in sent_wall if uid in settled]
        reacting = [queued[uid] - settled[uid].timestamp() for uid in sent_wall if uid in queued and uid in settled]
        print(f"[{kind}] {sessions} sessions on {stations} chargers, stops at {sessions / (stops_done - begin):.0f}/s "
              f"(asked {rate:g}/s); {len(arrived)} CDRs arrived; StopTransaction -> CDR at the eMSP: "
              f"{_quantiles(delays)}; of which StopTransaction -> settlement stored (the outbox worker's backlog and "
              f"pricing): {_quantiles(settling)}; settlement -> CDR queued (the OCPI reaction): {_quantiles(reacting)}")
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0, help="stops per second")
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres or both (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.database.split(","):
            pushes_per_second(kind, folder, args.pushes)
            stop_to_cdr(kind, folder, args.sessions, args.rate, args.stations)


if __name__ == "__main__":
    main()
