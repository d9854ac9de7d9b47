"""Benchmark: the statement report to CSV for N synthetic sessions on SQLite and PostgreSQL, against DuckDB writing
the same rows to CSV, measured in the same process.

The report runs in a process of its own (the filling runs in another), so its peak memory (ru_maxrss) is the
report's alone; it is taken before DuckDB's part. DuckDB's part: the report's own file is loaded into a DuckDB
table (all text, untimed), then COPY writes that table to CSV (timed, DuckDB's default threads): writing alone,
the issue's "DuckDB writing the same rows". A second baseline reads the same sessions from the same database
(from_source: the report's reader, then COPY of the fields unformatted), so reading and formatting can be told
apart. "Reading alone" is the reader with its batches dropped: over the first baseline it is the lowest ratio
any report of these rows could reach. Ratios are the report's time over each, wall and CPU (process time, all
threads); the machine is shared, so CPU ratios are the ones to compare. The load average is printed because other
jobs share the machine.

    PYTHONPATH=src python bench/reports.py --sizes 100000,1000000 --databases sqlite,postgres [--keep]

--keep reuses (or leaves behind) /tmp/chargeledger-bench/statement-N.sqlite3 and the database
reports_bench_statement_N.
The sessions are spread over a year on 100 stations (AC and DC) of 20 sites; energy, durations, fees, taxes (one
or two jurisdictions), drivers and cards vary per session, and every session has a settlement and a payment.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
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
from chargeledger.storage.tables import payments, session_settlements, sessions

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


STATIONS = 100  # over 20 sites; AC and DC
CENT = Decimal("0.01")


def _session(i: int) -> tuple[dict, dict, dict]:
    """Session i, its settlement and its payment: energy, times, fees, taxes and card vary from session to
    session as in a real operator's data, so remembered cells hit no more often than they would there."""
    station = i % STATIONS
    start = T0 + timedelta(seconds=i * 31 + i * 7919 % 60)  # a million sessions over about a year
    plug = 1200 + i * 104729 % 18000
    charging = plug * (50 + i % 46) // 100
    energy = (i * 2654435761 % 60000) + 500 + (i % 10) / 10
    meter = 1_000_000 + i * 37 % 900_000
    summary = {"plug_seconds": float(plug), "charging_seconds": float(charging),
               "start_source": ("RFID", "App", "Roaming", "Autocharge")[i % 4],
               "meter_start_wh": meter, "meter_stop_wh": meter + energy}
    failed = i % 97 == 0
    row = dict(id=i + 1, external_key=f"b{i}", organisation_id="B", site_id=f"B-S{station // 5}",
               station_id=f"B-{station}", evse_id=f"NL*BEN*E{station}*1", connector_id=1, transaction_id=str(i),
               status="Failed" if failed else "Completed", started_at=start, stopped_at=start + timedelta(seconds=plug),
               energy_wh=energy, id_token=f"04{i % 5000:06X}", driver_id=f"D{i % 5000}" if i % 3 else None,
               network=None, simulated=False, summary=summary, created_at=start)
    session_fee = (Decimal(str(energy)) / 1000 * Decimal("0.35")).quantize(CENT)
    connection = Decimal("0.50") if station % 3 == 0 else None
    occupancy = (Decimal(plug - charging - 3600) / 60 * Decimal("0.10")).quantize(CENT) if plug - charging > 3600 \
        else None
    subtotal = session_fee + (connection or 0) + (occupancy or 0)
    tax = (subtotal * Decimal("0.21")).quantize(CENT)
    total = subtotal + tax
    gateway = (total * Decimal("0.029") + Decimal("0.25")).quantize(CENT)
    platform = (subtotal * Decimal("0.05")).quantize(CENT)
    revenue = subtotal - gateway - platform
    taxes = [{"jurisdiction": "State", "amount": str(tax)}]
    if station % 10 == 0:  # a site with a city tax as well
        city = (tax / 3).quantize(CENT)
        taxes = [{"jurisdiction": "State", "amount": str(tax - city)}, {"jurisdiction": "City", "amount": str(city)}]
    money = dict(session_id=i + 1, version=1, current=True, settled_at=start + timedelta(seconds=plug + 60),
                 currency="EUR", total_cost_excl_vat=subtotal, total_cost_incl_vat=total, connection_fee=connection,
                 session_fee=session_fee, occupancy_fee=occupancy, subtotal=subtotal, total_tax=tax,
                 payment_total=total, gateway_fee=gateway, platform_fee=platform, revenue=revenue, taxes=taxes,
                 taxes_inclusive=False, settlement_currency="USD", exchange_rate=Decimal("1.08"),
                 gateway_fee_settlement=(gateway * Decimal("1.08")).quantize(CENT),
                 platform_fee_settlement=(platform * Decimal("1.08")).quantize(CENT),
                 revenue_settlement=(revenue * Decimal("1.08")).quantize(CENT))
    payment = dict(session_id=i + 1, method=("card", "app")[i % 2], gateway="simulated",
                   card_last4=f"{i * 7 % 10000:04d}", currency="EUR", amount_due=total,
                   amount_captured=Decimal(0) if failed else total, failed_amount=total if failed else Decimal(0),
                   failure_reason="card_declined" if failed else None, unsettled_amount=Decimal(0),
                   status="failed" if failed else "captured", created_at=start)
    return row, money, payment


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
        for site in range(STATIONS // 5):
            conn.execute(text("INSERT INTO sites (id, organisation_id, name, address, zip_code, city, state, country, "
                              "time_zone) VALUES (:id, 'B', :name, :address, '1011AB', 'Amsterdam', 'NH', 'NL', "
                              "'Europe/Amsterdam')"),
                         {"id": f"B-S{site}", "name": f"Depot {site}", "address": f"Main {site}, unit {site % 3}"})
        for station in range(STATIONS):
            dc = station % 4 == 0
            conn.execute(text("INSERT INTO stations (id, organisation_id, site_id, name, status, free_usage, "
                              "ocpp_version, serial_number, vendor) VALUES (:id, 'B', :site, :name, 'Available', "
                              "false, '1.6', :serial, :vendor)"),
                         {"id": f"B-{station}", "site": f"B-S{station // 5}", "name": f"Bench {station}",
                          "serial": f"SN{station:06d}", "vendor": "Alfen" if dc else "Zaptec"})
            conn.execute(text("INSERT INTO evses (evse_id, station_id, ocpp_evse_id) VALUES (:evse, :id, 1)"),
                         {"evse": f"NL*BEN*E{station}*1", "id": f"B-{station}"})
            conn.execute(text("INSERT INTO connectors (evse_id, connector_id, standard, current_type, rated_kw, "
                              "phases) VALUES (:evse, 1, :standard, :current, :kw, 3)"),
                         {"evse": f"NL*BEN*E{station}*1", "standard": "IEC_62196_T2_COMBO" if dc else
                          "IEC_62196_T2", "current": "DC" if dc else "AC", "kw": 150 if dc else 22})
    chunk = 50_000
    for first in range(0, n, chunk):
        rows = [_session(i) for i in range(first, min(n, first + chunk))]
        _bulk(engine, sessions, [row for row, _, _ in rows])
        _bulk(engine, session_settlements, [money for _, money, _ in rows])
        _bulk(engine, payments, [payment for _, _, payment in rows])
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
    folder = Path(tempfile.mkdtemp(dir=Path(url.split("///", 1)[1]).parent if url.startswith("sqlite") else None))
    target = folder / "statement.csv"
    # the pipeline's libraries loaded first (0.2 s), as a server has them loaded already
    import duckdb
    import pyarrow.compute  # noqa: F401
    from chargeledger.reports import pipeline, reader  # noqa: F401

    began, cpu = time.perf_counter(), time.process_time()
    rows = write_report(engine, request, "csv", target)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = target.stat().st_size / 1e6
    # DuckDB writing the same rows: the report's own cells, from a table of DuckDB's (on disk beside the file)
    duck = duckdb.connect(str(folder / "same.duckdb"))
    duck.execute(f"CREATE TABLE r AS SELECT * FROM read_csv('{target}', all_varchar = true, header = true)")
    assert duck.execute("SELECT count(*) FROM r").fetchone()[0] == rows
    out = folder / "duck.csv"
    duck_began, duck_cpu = time.perf_counter(), time.process_time()
    duck.execute(f"COPY r TO '{out}' (HEADER, DELIMITER ',')")
    duck_seconds, duck_cpu = time.perf_counter() - duck_began, time.process_time() - duck_cpu
    duck.close()
    source_seconds, source_cpu = from_source(engine, request, folder / "source.csv")
    read_seconds, read_cpu = read_alone(engine, request)
    shutil.rmtree(folder)
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "csv_mb": size_mb,
                      "duck_seconds": duck_seconds, "duck_cpu": duck_cpu, "source_seconds": source_seconds,
                      "source_cpu": source_cpu, "read_seconds": read_seconds, "read_cpu": read_cpu}))


def from_source(engine, request, out: Path) -> tuple[float, float]:
    """DuckDB writing the same sessions from the same database: the fields the report's cells read, fetched by the
    report's own reader (ADBC; on SQLite from its snapshot), written by COPY as they come, no cell formatted. The
    report over this is what formatting the cells costs; the report over the first baseline adds the reading."""
    import duckdb
    import pyarrow as pa

    from chargeledger.reports.pipeline import plan
    from chargeledger.reports.reader import ArrowRows
    from chargeledger.reports.source import LOOKUPS

    query = plan(engine, request).query
    began, cpu = time.perf_counter(), time.process_time()
    rows = ArrowRows(engine, query, lookups=LOOKUPS)
    try:
        batches = rows.batches()
        first = next(batches)
        duck = duckdb.connect(config={"threads": 1})
        duck.register("batch", pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches)))
        duck.execute(f"COPY batch TO '{out}' (HEADER, DELIMITER ',')")
        duck.close()
    finally:
        rows.close()
    return time.perf_counter() - began, time.process_time() - cpu


def read_alone(engine, request) -> tuple[float, float]:
    """The report's reader alone (ADBC to Arrow; on SQLite with its snapshot), its batches dropped: the floor under
    any report of these rows, which no formatting work can go below. Over the first baseline's time it says how
    close to it a report can come."""
    from chargeledger.reports.pipeline import plan
    from chargeledger.reports.reader import ArrowRows
    from chargeledger.reports.source import LOOKUPS

    query = plan(engine, request).query
    began, cpu = time.perf_counter(), time.process_time()
    rows = ArrowRows(engine, query, lookups=LOOKUPS)
    try:
        for _batch in rows.batches():
            pass
    finally:
        rows.close()
    return time.perf_counter() - began, time.process_time() - cpu


def database(kind: str, n: int, keep: bool) -> tuple[str, callable]:
    if kind == "sqlite":
        folder = Path("/tmp/chargeledger-bench") if keep else Path(tempfile.mkdtemp())
        folder.mkdir(exist_ok=True)
        # without --keep the database (about 1 GB at 1M sessions) goes with its folder
        return f"sqlite:///{folder}/statement-{n}.sqlite3", (lambda: None) if keep else (lambda: shutil.rmtree(folder))
    name = f"reports_bench_statement_{n}" if keep else f"reports_bench_{uuid.uuid4().hex[:8]}"
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
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.fill:
        fill_child(args.fill[0], int(args.fill[1]))
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
                load = os.getloadavg()[0]
                f = in_child("--child", url, str(n))
                print(f"{kind:8} {n:>9,} sessions: statement CSV {f['seconds']:6.1f} s wall {f['cpu']:6.1f} s CPU "
                      f"({f['rows'] / f['seconds']:,.0f} rows/s, {f['csv_mb']:.0f} MB), "
                      f"peak RSS {f['peak_mb']:.0f} MB; "
                      f"DuckDB same rows {f['duck_seconds']:5.2f} s wall {f['duck_cpu']:5.2f} s CPU -> "
                      f"{f['seconds'] / f['duck_seconds']:4.1f}x wall {f['cpu'] / f['duck_cpu']:4.1f}x CPU; "
                      f"DuckDB from the database {f['source_seconds']:5.2f} s wall {f['source_cpu']:5.2f} s CPU -> "
                      f"{f['seconds'] / f['source_seconds']:4.1f}x wall {f['cpu'] / f['source_cpu']:4.1f}x CPU; "
                      f"reading alone {f['read_seconds']:5.2f} s wall {f['read_cpu']:5.2f} s CPU = "
                      f"{f['read_seconds'] / f['duck_seconds']:4.1f}x wall {f['read_cpu'] / f['duck_cpu']:4.1f}x CPU "
                      f"of DuckDB same rows "
                      f"(load {load:.1f}, {filled})")
            finally:
                drop()


if __name__ == "__main__":
    main()
