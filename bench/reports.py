"""Benchmark: the statement report to CSV for N synthetic sessions on SQLite and PostgreSQL, against DuckDB
writing the same number of rows (already in memory) to CSV. Each size runs in its own subprocess so peak memory
(ru_maxrss) is that size's alone.

    .venv/bin/python bench/reports.py --sizes 100000,1000000 --databases sqlite,postgres
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from chargeledger.reports.request import build_request, operator_caller
from chargeledger.reports.run import write_report
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import session_settlements, sessions

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def fill(engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, name, country, currency, public, prices_include_tax) "
                          "VALUES ('B', 'Bench', 'NL', 'EUR', true, false)"))
        conn.execute(text("INSERT INTO sites (id, organisation_id, name, address, zip_code, city, country, time_zone) "
                          "VALUES ('B-S', 'B', 'Depot', 'Main 1', '1011AB', 'Amsterdam', 'NL', 'Europe/Amsterdam')"))
        conn.execute(text("INSERT INTO stations (id, organisation_id, site_id, name, status, free_usage, ocpp_version) "
                          "VALUES ('B-1', 'B', 'B-S', 'Bench 1', 'Available', false, '1.6')"))
    chunk = 20_000
    for first in range(0, n, chunk):
        rows, money = [], []
        for i in range(first, min(n, first + chunk)):
            start = T0 + timedelta(minutes=i % 500_000)
            summary = {"plug_seconds": 5400.0, "charging_seconds": 3600.0, "start_source": "RFID",
                       "meter_start_wh": 1000, "meter_stop_wh": 13345}
            rows.append(dict(id=i + 1, external_key=f"b{i}", organisation_id="B", site_id="B-S", station_id="B-1",
                             evse_id="NL*BEN*E1*1", connector_id=1, transaction_id=str(i), status="Completed",
                             started_at=start, stopped_at=start + timedelta(minutes=90), energy_wh=12345.0,
                             id_token="04AA", driver_id=None, network=None, simulated=False, summary=summary,
                             created_at=start))
            money.append(dict(session_id=i + 1, version=1, current=True, settled_at=start, currency="EUR",
                              total_cost_excl_vat=Decimal("3.0000"), total_cost_incl_vat=Decimal("3.63"),
                              connection_fee=Decimal("0.50"), session_fee=Decimal("2.50"), subtotal=Decimal("3.00"),
                              total_tax=Decimal("0.63"), payment_total=Decimal("3.63"), revenue=Decimal("2.60"),
                              taxes=[{"jurisdiction": "State", "amount": "0.63"}]))
        with engine.begin() as conn:
            conn.execute(sessions.insert(), rows)
            conn.execute(session_settlements.insert(), money)


def child(url: str, n: int) -> None:
    engine = make_engine(url)
    request = build_request(engine, "statement", "2023-01-01", "2026-01-01", operator_caller(engine),
                            time_zone="Europe/Amsterdam")
    target = Path(tempfile.mkdtemp()) / "statement.csv"
    began = time.perf_counter()
    rows = write_report(engine, request, "csv", target)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb, "columns": 70}))


def duckdb_seconds(n: int) -> float:
    import duckdb

    con = duckdb.connect()
    # The same shape in memory: ~70 columns of text, numbers and times, as many rows.
    columns = ", ".join([f"'text{c}' || i AS t{c}" for c in range(35)] + [f"i * 0.01 AS n{c}" for c in range(35)])
    con.execute(f"CREATE TABLE r AS SELECT {columns} FROM range({n}) t(i)")
    target = Path(tempfile.mkdtemp()) / "duck.csv"
    began = time.perf_counter()
    con.execute(f"COPY r TO '{target}' (HEADER, DELIMITER ',')")
    return time.perf_counter() - began


def database(kind: str, n: int) -> tuple[str, callable]:
    if kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        return url, lambda: None
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    for n in (int(s) for s in args.sizes.split(",")):
        duck = duckdb_seconds(n)
        for kind in args.databases.split(","):
            url, drop = database(kind, n)
            try:
                engine = make_engine(url)
                upgrade(engine)
                began = time.perf_counter()
                fill(engine, n)
                filled = time.perf_counter() - began
                engine.dispose()
                out = subprocess.run([sys.executable, __file__, "--child", url, str(n)], capture_output=True,
                                     text=True, check=True)
                figures = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{kind:8} {n:>9,} sessions: statement CSV {figures['seconds']:7.1f} s "
                      f"({figures['rows'] / figures['seconds']:,.0f} rows/s), peak RSS {figures['peak_mb']:.0f} MB; "
                      f"DuckDB same rows {duck:5.2f} s -> {figures['seconds'] / duck:5.1f}x  (fill {filled:.0f} s)")
            finally:
                drop()


if __name__ == "__main__":
    main()
