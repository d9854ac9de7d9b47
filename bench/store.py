"""Storage benchmark: bulk-load sessions (events and meter samples included), then time the session list's first
page and GET /api/sessions/{id} through the real FastAPI app.

    .venv/bin/python bench/store.py --backend both --sessions 1000000 --sampled 10000

Scratch databases only: /tmp/chargeledger_bench.sqlite3 and a PostgreSQL database `chargeledger_bench` (created and
dropped). Prints load rate, database size and p50/p95 latencies.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from chargeledger.access import accounts
from chargeledger.demo.generator import generate_sessions
from chargeledger.demo.network import PRIVATE_ORG, PUBLIC_ORG, build_network
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.http.app import create_app
from chargeledger.importing.bulk import SessionRecord
from chargeledger.importing.raw_writer import RawWriter, next_session_id
from chargeledger.importing.templates import stamp, template_of
from chargeledger.storage.database import make_engine, refresh_statistics, upgrade
from chargeledger.storage.tables import sessions
from chargeledger.views.session_list import SessionFilter, list_sessions

SQLITE_PATH = Path("/tmp/chargeledger_bench.sqlite3")
PG_ADMIN = os.environ.get("CHARGELEDGER_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "chargeledger_bench"
END = datetime(2025, 1, 1, tzinfo=timezone.utc)
TEMPLATES = 4000   # distinct generated sessions; every copy moves one by whole weeks plus seconds
SAMPLED_TEMPLATES = 200
FLUSH = 20_000     # sessions per transaction


def _with_samples(record: SessionRecord) -> SessionRecord:
    """60 one-minute readings of four measurands from the transaction start."""
    start = next(e.occurred_at for e in record.events if e.kind == "transaction_started")
    meter = next(e.payload["meter_start_wh"] for e in record.events if e.kind == "transaction_started")
    samples = []
    for minute in range(60):
        t = start + timedelta(minutes=minute)
        samples += [MeterSample(t, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, meter + minute * 100.0),
                    MeterSample(t, Measurand.POWER_ACTIVE_IMPORT, 6000.0), MeterSample(t, Measurand.CURRENT_IMPORT, 8.7),
                    MeterSample(t, Measurand.VOLTAGE, 230.0)]
    return SessionRecord(record.ref, record.events, samples)


def _templates(network) -> tuple[list, list]:
    """Plain and sampled templates, each projected once by the ledger's own project/summarise."""
    records = list(generate_sessions(network, TEMPLATES + SAMPLED_TEMPLATES, seed=11, end=END, sampled=0,
                                     key_prefix="bench"))
    plain = [template_of(r) for r in records[:TEMPLATES]]
    sampled = [template_of(_with_samples(r)) for r in records[TEMPLATES:]]
    return plain, sampled


def load(engine, count: int, sampled: int) -> float:
    """Real rows in the real schema: sessions with summary, their events, and samples for `sampled` of them."""
    network = build_network(engine, seed=11)
    accounts.add_user(engine, "bench@example.com", [PUBLIC_ORG, PRIVATE_ORG], ["admin"], None)
    began = time.perf_counter()
    plain, with_samples = _templates(network)
    print(f"  {len(plain) + len(with_samples):,} templates projected in {time.perf_counter() - began:.1f} s")
    every = max(1, count // sampled) if sampled else 0
    writer, first = RawWriter(engine), next_session_id(engine)
    for n in range(count):
        copy = n // TEMPLATES
        # whole weeks keep weekday and hour; the seconds keep copies of one template apart
        delta = timedelta(weeks=-(copy * 7 % 52), seconds=copy % 3600)
        if every and n % every == 0 and n // every < sampled:
            template = with_samples[(n // every) % len(with_samples)]
        else:
            template = plain[n % len(plain)]
        writer.add(first + n, *stamp(template, f"bench:{n}", delta))
        if len(writer) >= FLUSH:
            writer.flush()
            if (n + 1) % 100_000 == 0:
                print(f"  {n + 1:>9,} sessions, {(n + 1) / (time.perf_counter() - began):,.0f}/s", flush=True)
    writer.finish()
    rate = count / (time.perf_counter() - began)
    began = time.perf_counter()
    refresh_statistics(engine)
    if engine.dialect.name == "postgresql":  # autovacuum would do this minutes later; measured without it running
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
    print(f"  statistics refreshed (and PostgreSQL vacuumed) in {time.perf_counter() - began:.1f} s")
    return rate


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def _frames(rng: random.Random, queries: int) -> list[tuple[str, datetime]]:
    """Random organisation and 30-day frame start, within the loaded year."""
    return [(rng.choice((PUBLIC_ORG, PRIVATE_ORG)), END - timedelta(days=rng.randint(30, 360)))
            for _ in range(queries)]


def measure(engine, queries: int) -> None:
    rng = random.Random(5)
    with engine.connect() as conn:
        max_id = conn.execute(select(func.max(sessions.c.id))).scalar()
    list_times = []
    for org, start in _frames(rng, queries):
        flt = SessionFilter(frozenset({PUBLIC_ORG, PRIVATE_ORG}), org, started_from=start,
                            started_to=start + timedelta(days=30))
        began = time.perf_counter()
        rows, _ = list_sessions(engine, flt, limit=50)
        list_times.append(time.perf_counter() - began)
        assert rows, "an empty first page measures nothing"
    print(f"  session list, first page (organisation + 30-day frame), view:  {_percentiles(list_times)}")
    key = accounts.create_key(engine, "bench@example.com")
    client = TestClient(create_app(engine, None))
    headers = {"Authorization": f"Bearer {key}"}
    api_list_times = []
    for org, start in _frames(rng, queries):
        params = {"organisation": org, "from": start.isoformat(), "to": (start + timedelta(days=30)).isoformat()}
        began = time.perf_counter()
        response = client.get("/api/sessions", params=params, headers=headers)
        api_list_times.append(time.perf_counter() - began)
        assert response.status_code == 200 and response.json()["items"], response.text
    print(f"  GET /api/sessions?organisation&from&to (TestClient, real app): {_percentiles(api_list_times)}")
    detail_times = []
    for _ in range(queries):
        session_id = rng.randint(1, max_id)
        began = time.perf_counter()
        response = client.get(f"/api/sessions/{session_id}", headers=headers)
        detail_times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    print(f"  GET /api/sessions/{{id}} (TestClient, real app):                 {_percentiles(detail_times)}")


def run(backend: str, count: int, sampled: int, queries: int, keep: bool = False) -> None:
    print(f"{backend}: loading {count:,} sessions ({sampled:,} with 60 samples x 4 measurands)")
    admin = None
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{SQLITE_PATH}")
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}"'))
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
        engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME)
    try:
        upgrade(engine)
        rate = load(engine, count, sampled)
        with engine.begin() as conn:
            size = (sum(Path(f"{SQLITE_PATH}{s}").stat().st_size for s in ("", "-wal")
                        if Path(f"{SQLITE_PATH}{s}").exists()) if backend == "sqlite"
                    else conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
        print(f"  load: {rate:,.0f} sessions/s; database size {size / 2**20:,.0f} MiB")
        print("  load average before measuring (other work on this machine): %.1f %.1f %.1f" % os.getloadavg())
        measure(engine, queries)
    finally:
        engine.dispose()
        if admin is not None and not keep:
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{PG_NAME}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}"'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--sampled", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (to EXPLAIN its queries)")
    args = parser.parse_args()
    for backend in (("sqlite", "postgres") if args.backend == "both" else (args.backend,)):
        run(backend, args.sessions, min(args.sampled, args.sessions), args.queries, args.keep)


if __name__ == "__main__":
    main()
