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
from itertools import islice
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from chargeledger.access import accounts
from chargeledger.demo.generator import generate_sessions
from chargeledger.demo.network import PRIVATE_ORG, PUBLIC_ORG, build_network
from chargeledger.domain.meter import Measurand, MeterSample
from chargeledger.http.app import create_app
from chargeledger.importing.bulk import SessionRecord, record_many
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import sessions
from chargeledger.views.session_list import SessionFilter, list_sessions

SQLITE_PATH = Path("/tmp/chargeledger_bench.sqlite3")
PG_ADMIN = os.environ.get("CHARGELEDGER_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "chargeledger_bench"
END = datetime(2025, 1, 1, tzinfo=timezone.utc)
BATCH = 2000


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


def load(engine, count: int, sampled: int) -> float:
    network = build_network(engine, seed=11)
    accounts.add_user(engine, "bench@example.com", [PUBLIC_ORG, PRIVATE_ORG], ["admin"], None)
    every = max(1, count // sampled) if sampled else 0
    stream = generate_sessions(network, count, seed=11, end=END, sampled=0, key_prefix="bench")
    began, done = time.perf_counter(), 0
    while batch := list(islice(stream, BATCH)):
        if every:
            batch = [_with_samples(r) if (done + i) % every == 0 and (done + i) // every < sampled else r
                     for i, r in enumerate(batch)]
        done += len(record_many(engine, batch, notify=False).added)
        if done % 50_000 < BATCH:
            print(f"  {done:>9,} sessions, {done / (time.perf_counter() - began):,.0f}/s", flush=True)
    return done / (time.perf_counter() - began)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def measure(engine, queries: int) -> None:
    rng = random.Random(5)
    with engine.connect() as conn:
        max_id = conn.execute(select(func.max(sessions.c.id))).scalar()
    list_times = []
    for _ in range(queries):
        start = END - timedelta(days=rng.randint(30, 360))
        flt = SessionFilter(frozenset({PUBLIC_ORG, PRIVATE_ORG}), rng.choice((PUBLIC_ORG, PRIVATE_ORG)),
                            started_from=start, started_to=start + timedelta(days=30))
        began = time.perf_counter()
        rows, _ = list_sessions(engine, flt, limit=50)
        list_times.append(time.perf_counter() - began)
        assert rows, "an empty first page measures nothing"
    print(f"  session list, first page (organisation + 30-day frame): {_percentiles(list_times)}")
    key = accounts.create_key(engine, "bench@example.com")
    client = TestClient(create_app(engine, None))
    headers = {"Authorization": f"Bearer {key}"}
    detail_times = []
    for _ in range(queries):
        session_id = rng.randint(1, max_id)
        began = time.perf_counter()
        response = client.get(f"/api/sessions/{session_id}", headers=headers)
        detail_times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    print(f"  GET /api/sessions/{{id}} (TestClient, real app):        {_percentiles(detail_times)}")


def run(backend: str, count: int, sampled: int, queries: int) -> None:
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
            conn.execute(text("ANALYZE"))
            size = (sum(Path(f"{SQLITE_PATH}{s}").stat().st_size for s in ("", "-wal")
                        if Path(f"{SQLITE_PATH}{s}").exists()) if backend == "sqlite"
                    else conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
        print(f"  load: {rate:,.0f} sessions/s; database size {size / 2**20:,.0f} MiB")
        measure(engine, queries)
    finally:
        engine.dispose()
        if admin is not None:
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
    args = parser.parse_args()
    for backend in (("sqlite", "postgres") if args.backend == "both" else (args.backend,)):
        run(backend, args.sessions, min(args.sampled, args.sessions), args.queries)


if __name__ == "__main__":
    main()
