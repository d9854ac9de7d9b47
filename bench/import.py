"""Import throughput: rows per second for a generated session-history CSV on SQLite and PostgreSQL, with peak RSS.

    .venv/bin/python bench/import.py --rows 100000 --databases sqlite,postgres

The CSV looks like a real export (id, local start and stop, kWh with a decimal comma, station, card) and goes
through `import_sessions` exactly as `chargeledger import sessions` runs it, stations created on first sight.
Printed per store: rows, seconds, rows/s, rows per CPU second of the importing process (what a box shared with
other work cannot hide; PostgreSQL's own CPU is not in it), peak RSS before and after (MB), and the kWh total read back from the
database against the kWh written into the file (must be equal). Goal (issue 18): >= 50,000 rows/s on SQLite with
RSS flat; the baseline before this work was about 1,600 rows/s.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chargeledger.directory import registry  # noqa: E402
from chargeledger.domain.network import Organisation, Site  # noqa: E402
from chargeledger.importing import import_sessions, parse_mapping  # noqa: E402
from databases import fresh_engine  # noqa: E402
from chargeledger.storage.tables import sessions  # noqa: E402

MAPPING = {
    "source": {"name": "bench"},
    "file": {"delimiter": ";", "decimal_comma": True},
    # generated local times skip no DST gap only in UTC (a real file in Europe/Amsterdam would have its 02:xx
    # rows of the last Sunday in March flagged, and a few rejected as ending before they start)
    "time": {"formats": ["%d.%m.%Y %H:%M"], "time_zone": "UTC"},
    "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh", "station": "station",
                "token": "card"},
    "network": {"organisation": "BENCH", "site": "BENCH-SITE", "auto_create_stations": True},
}


def write_csv(path: Path, rows: int) -> Decimal:
    rng = random.Random(18)
    t0, total = datetime(2023, 1, 1), Decimal(0)
    with path.open("w", encoding="utf-8") as out:
        out.write("id;start;stop;kwh;station;card\n")
        for n in range(rows):
            start = t0 + timedelta(minutes=7 * n)
            stop = start + timedelta(minutes=rng.randint(20, 400))
            kwh = Decimal(rng.randint(100, 60000)) / 1000
            total += kwh
            out.write(f"{n};{start:%d.%m.%Y %H:%M};{stop:%d.%m.%Y %H:%M};{str(kwh).replace('.', ',')};"
                      f"CP-{n % 200};{rng.randrange(16**8):08X}\n")
    return total


def _engine(kind: str, folder: str):
    return fresh_engine(kind, folder, "bench_import")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "history.csv"
        kwh = write_csv(csv_path, args.rows)
        print(f"{args.rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB, {kwh} kWh in the file")
        for kind in args.databases.split(","):
            engine, drop = _engine(kind, folder)
            try:
                registry.add_organisation(engine, Organisation("BENCH", "Bench", "NL", "EUR"))
                registry.add_site(engine, Site("BENCH-SITE", "BENCH", "Bench", "Street 1", "1011AB", "Amsterdam",
                                               "NL", "Europe/Amsterdam"))
                rss_before = _rss_mb()
                started, cpu = time.perf_counter(), time.process_time()
                report = import_sessions(engine, csv_path, parse_mapping(MAPPING))
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                with engine.connect() as conn:
                    stored = conn.execute(select(func.count(), func.sum(sessions.c.energy_wh))).one()
                print(f"{kind:9} imported {report.imported:,} in {seconds:.1f} s = {report.imported / seconds:,.0f} "
                      f"rows/s ({report.imported / cpu:,.0f} rows per CPU second of this process); peak RSS {rss_before:.0f} -> {_rss_mb():.0f} MB; stored {stored[0]:,} sessions, "
                      f"{Decimal(stored[1]) / 1000:.3f} kWh (file {kwh}); rejected {report.rejected}")
            finally:
                drop()


if __name__ == "__main__":
    main()
