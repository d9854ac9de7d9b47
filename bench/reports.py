"""Benchmark: the statement report to CSV for N synthetic sessions on SQLite and PostgreSQL, against DuckDB
writing the same number of rows (already in memory) to CSV.

Filling, DuckDB and the report each run in their own subprocess, so the report's peak memory (ru_maxrss, which
Linux carries over from the parent at fork) is the report's alone and not the data generation's. Times are wall
and CPU summed over the report's processes (it may use several, reports/csv_parts.py; CHARGELEDGER_REPORT_WORKERS
sets how many); peak memory is ours plus the largest worker's. The load average is printed because other jobs
share the machine.

    .venv/bin/python bench/reports.py --sizes 100000,1000000 --databases sqlite,postgres [--keep]

--keep reuses (or leaves behind) /tmp/chargeledger-bench/statement-N.sqlite3 and the database bench_statement_N.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text

from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import session_settlements, sessions

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _session(i: int) -> tuple[dict, dict]:
    start = T0 + timedelta(minutes=i % 500_000)
    summary = {"plug_seconds": 5400.0, "charging_seconds": 3600.0, "start_source": "RFID",
               "meter_start_wh": 1000, "meter_stop_wh": 13345}
    row = dict(id=i + 1, external_key=f"b{i}", organisation_id="B", site_id="B-S", station_id="B-1",
               evse_id="NL*BEN*E1*1", connector_id=1, transaction_id=str(i), status="Completed",
               started_at=start, stopped_at=start + timedelta(minutes=90), energy_wh=12345.0,
               id_token="04AA", driver_id=None, network=None, simulated=False, summary=summary,
               created_at=start)
    money = dict(session_id=i + 1, version=1, current=True, settled_at=start, currency="EUR",
                 total_cost_excl_vat=Decimal("3.0000"), total_cost_incl_vat=Decimal("3.63"),
                 connection_fee=Decimal("0.50"), session_fee=Decimal("2.50"), subtotal=Decimal("3.00"),
                 total_tax=Decimal("0.63"), payment_total=Decimal("3.63"), revenue=Decimal("2.60"),
                 taxes=[{"jurisdiction": "State", "amount": "0.63"}])
    return row, money


def _bulk(engine, table, dicts: list[dict]) -> None:
    # The values as SQLAlchemy would bind them (its own processors), sent without its per-row statement work:
    # COPY on PostgreSQL, executemany on SQLite.
    names = list(dicts[0])
    dialect = engine.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    rows = [tuple(p(d[k]) if p else d[k] for k, p in zip(names, processors)) for d in dicts]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", rows)
        raw.commit()
    finally:
        raw.close()


def fill(engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, name, country, currency, public, prices_include_tax) "
                          "VALUES ('B', 'Bench', 'NL', 'EUR', true, false)"))
        conn.execute(text("INSERT INTO sites (id, organisation_id, name, address, zip_code, city, country, time_zone) "
                          "VALUES ('B-S', 'B', 'Depot', 'Main 1', '1011AB', 'Amsterdam', 'NL', 'Europe/Amsterdam')"))
        conn.execute(text("INSERT INTO stations (id, organisation_id, site_id, name, status, free_usage, ocpp_version) "
                          "VALUES ('B-1', 'B', 'B-S', 'Bench 1', 'Available', false, '1.6')"))
    chunk = 50_000
    for first in range(0, n, chunk):
        pairs = [_session(i) for i in range(first, min(n, first + chunk))]
        _bulk(engine, sessions, [row for row, _ in pairs])
        _bulk(engine, session_settlements, [money for _, money in pairs])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # committed: statistics from a rolled-back ANALYZE are discarded
            conn.execute(text("ANALYZE"))


def filled_rows(url: str) -> int | None:
    """Sessions already in a kept database, or None when it has no schema yet."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("sessions"):
            return None
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(sessions)).scalar_one()
    finally:
        engine.dispose()


def child(url: str, n: int) -> None:
    engine = make_engine(url)
    request = build_request(engine, "statement", "2023-01-01", "2026-01-01", operator_caller(engine),
                            time_zone="Europe/Amsterdam")
    target = Path(tempfile.mkdtemp()) / "statement.csv"
    began, cpu = time.perf_counter(), time.process_time()
    rows = write_report(engine, request, "csv", target)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the report's worker processes, once ended
    cpu += workers.ru_utime + workers.ru_stime
    # the largest worker's peak added to ours: an upper bound of what the report held at once
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + workers.ru_maxrss) / 1024
    size_mb = target.stat().st_size / 1e6
    target.unlink()
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "csv_mb": size_mb}))


def duckdb_seconds(n: int) -> tuple[float, float]:
    import duckdb

    con = duckdb.connect()
    # The same shape in memory: ~70 columns of text, numbers and times, as many rows.
    columns = ", ".join([f"'text{c}' || i AS t{c}" for c in range(35)] + [f"i * 0.01 AS n{c}" for c in range(35)])
    con.execute(f"CREATE TABLE r AS SELECT {columns} FROM range({n}) t(i)")
    target = Path(tempfile.mkdtemp()) / "duck.csv"
    began, cpu = time.perf_counter(), time.process_time()
    con.execute(f"COPY r TO '{target}' (HEADER, DELIMITER ',')")
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    target.unlink()
    return seconds, cpu


def database(kind: str, n: int, keep: bool) -> tuple[str, callable]:
    if kind == "sqlite":
        folder = Path("/tmp/chargeledger-bench") if keep else Path(tempfile.mkdtemp())
        folder.mkdir(exist_ok=True)
        return f"sqlite:///{folder}/statement-{n}.sqlite3", lambda: None
    name = f"bench_statement_{n}" if keep else f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def in_child(*args: str) -> dict:
    """Run this file with `args` in a fresh interpreter; its last output line is JSON."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{args[0]} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def fill_child(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    fill(engine, n)
    print(json.dumps({"seconds": time.perf_counter() - began}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true", help="reuse kept databases of the same size")
    parser.add_argument("--child", nargs=2)
    parser.add_argument("--fill", nargs=2)
    parser.add_argument("--duck")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.fill:
        fill_child(args.fill[0], int(args.fill[1]))
        return
    if args.duck:
        seconds, cpu = duckdb_seconds(int(args.duck))
        print(json.dumps({"seconds": seconds, "cpu": cpu}))
        return
    print(f"cores {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in args.databases.split(","):
            url, drop = database(kind, n, args.keep)
            try:
                have = filled_rows(url) if args.keep else None
                filled = "reused" if have == n else None
                if filled is None:
                    if have:
                        raise SystemExit(f"{url} holds {have:,} sessions, not {n:,}: remove it or drop --keep")
                    filled = f"fill {in_child('--fill', url, str(n))['seconds']:.0f} s"
                duck = in_child("--duck", str(n))
                load = os.getloadavg()[0]
                figures = in_child("--child", url, str(n))
                print(f"{kind:8} {n:>9,} sessions ({os.environ.get('CHARGELEDGER_REPORT_WORKERS') or 'default'} "
                      f"workers): statement CSV {figures['seconds']:6.1f} s wall "
                      f"{figures['cpu']:6.1f} s CPU ({figures['rows'] / figures['seconds']:,.0f} rows/s, "
                      f"{figures['csv_mb']:.0f} MB), peak RSS {figures['peak_mb']:.0f} MB; DuckDB same rows "
                      f"{duck['seconds']:5.2f} s wall {duck['cpu']:5.2f} s CPU -> "
                      f"{figures['seconds'] / duck['seconds']:4.1f}x wall  (load {load:.1f}, {filled})")
            finally:
                drop()


if __name__ == "__main__":
    main()
