"""The floor under import speed on SQLite: ready rows, as the importer writes them, into the real schema.

    .venv/bin/python bench/import_floor.py --rows 100000

No Python work per row is measured: a few thousand sessions are imported the real way (bench/import.py's CSV), their
`sessions` and `session_events` rows are read back as the driver's tuples, and copies with fresh ids and keys go in
with `executemany`, 5,000 a transaction, as `bulk.write_batch` does. Printed: rows per CPU second of this process
(SQLite works in it) for three states of the schema:
- every index, as the import runs today;
- secondary indexes dropped and built again inside the same transaction (all or nothing, but one transaction holds
  SQLite's write lock for the whole import);
- no secondary index at all (only the primary and unique keys): what row storage alone costs.
If the first is below the goal, no Python work per row can reach the goal with these indexes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_engine  # noqa: E402
from chargeledger.directory import registry  # noqa: E402
from chargeledger.domain.network import Organisation, Site  # noqa: E402
from chargeledger.importing import import_sessions, parse_mapping  # noqa: E402
from chargeledger.importing.raw_writer import EVENT_COLUMNS, SESSION_COLUMNS  # noqa: E402
from importlib import import_module  # noqa: E402

bench_import = import_module("import")  # bench/import.py: its CSV and mapping
SAMPLE = 5000
BATCH = 5000


def _sample(folder: str) -> tuple[str, list[tuple], list[tuple]]:
    """A database holding the network, and SAMPLE imported sessions' rows as tuples."""
    engine, _ = fresh_engine("sqlite", folder, "floor_sample")
    registry.add_organisation(engine, Organisation("BENCH", "Bench", "NL", "EUR"))
    registry.add_site(engine, Site("BENCH-SITE", "BENCH", "Bench", "Street 1", "1011AB", "Amsterdam", "NL",
                                   "Europe/Amsterdam"))
    csv_path = Path(folder) / "sample.csv"
    bench_import.write_csv(csv_path, SAMPLE)
    import_sessions(engine, csv_path, parse_mapping(bench_import.MAPPING))
    path = engine.url.database
    engine.dispose()
    db = sqlite3.connect(path)
    rows = db.execute(f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions ORDER BY id").fetchall()
    events = db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM session_events ORDER BY id").fetchall()
    db.close()
    return path, rows, events


def _fresh_copy(sample_path: str, folder: str, label: str) -> sqlite3.Connection:
    """The sample database without its sessions (network and schema kept), opened as the engine opens SQLite."""
    target = Path(folder) / f"{label}.sqlite3"
    source = sqlite3.connect(sample_path)
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.executescript("DELETE FROM session_events; DELETE FROM sessions; DELETE FROM import_runs;")
    copy.close()
    db = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "cache_size=-65536"):
        db.execute(f"PRAGMA {pragma}")
    return db


def _run(db: sqlite3.Connection, rows: list[tuple], events: list[tuple], total: int, state: str) -> float:
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                         "tbl_name IN ('sessions', 'session_events')").fetchall()
    if state == "none":
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")
    insert_sessions = f"INSERT INTO sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({', '.join('?' * 19)})"
    insert_events = f"INSERT INTO session_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * 9)})"
    cpu = time.process_time()
    if state == "deferred":
        db.execute("BEGIN")
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")
    for first in range(0, total, BATCH):
        batch_rows, batch_events = [], []
        for n in range(first, min(total, first + BATCH)):
            row, event = rows[n % len(rows)], events[n % len(events)]
            batch_rows.append((n + 1, f"{row[1]}:{n}", *row[2:]))
            batch_events.append((n + 1, *event[1:7], f"{event[7]}:{n}", event[8]))
        if state != "deferred":
            db.execute("BEGIN")
        db.executemany(insert_sessions, batch_rows)
        db.executemany(insert_events, batch_events)
        if state != "deferred":
            db.execute("COMMIT")
    if state == "deferred":
        for _, sql in indexes:
            db.execute(sql)
        db.execute("COMMIT")
    return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sample_path, rows, events = _sample(folder)
        summary = sum(len(r[16]) for r in rows) // len(rows)
        print(f"{args.rows:,} sessions (copies of {len(rows):,} imported ones; {summary} bytes of summary JSON each), "
              f"5,000 a transaction")
        for state in ("all", "deferred", "none"):
            db = _fresh_copy(sample_path, folder, state)
            cpu = _run(db, rows, events, args.rows, state)
            db.close()
            print(f"indexes {state:9} {cpu:6.1f} CPU s = {args.rows / cpu:8,.0f} rows per CPU second "
                  "(the tuples' own making included)")


if __name__ == "__main__":
    main()
