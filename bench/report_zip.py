"""Benchmark: peak memory and CPU of the statement written alone and inside a ZIP (issue 14: memory stays flat),
each run in a fresh process on an SQLite database of N synthetic sessions (bench/reports.py fills it).

    PYTHONPATH=src python bench/report_zip.py --sizes 20000,100000 --modes csv,zip:csv,xlsx,zip:xlsx,zip:csv+xlsx

A mode is a single file's format, or zip: with the members' formats. The databases are kept in
/tmp/chargeledger-bench/zip-N.sqlite3 and reused.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

FOLDER = Path("/tmp/chargeledger-bench")


def child(mode: str, n: int) -> None:
    from chargeledger.reports.request import build_request, operator_caller
    from chargeledger.reports.run import write_report
    from chargeledger.storage.database import make_engine, upgrade

    database = FOLDER / f"zip-{n}.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    if mode == "fill":
        sys.path.insert(0, str(Path(__file__).parent))
        from reports import fill
        upgrade(engine)
        fill(engine, n)
        return
    request = build_request(engine, "statement", "2023-01-01", "2026-01-01", operator_caller(engine),
                            time_zone="Europe/Amsterdam")
    fmt, members = ("zip", mode[4:].split("+")) if mode.startswith("zip:") else (mode, ())
    cpu = time.process_time()
    rows = write_report(engine, request, fmt, FOLDER / f"out-{n}.{fmt}", members=members or ("csv",))
    print(json.dumps({"mode": mode, "sessions": n, "rows": rows, "cpu_s": round(time.process_time() - cpu, 1),
                      "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--modes", default="csv,zip:csv,xlsx,zip:xlsx")
    args = parser.parse_args()
    FOLDER.mkdir(exist_ok=True)
    for n in [int(size) for size in args.sizes.split(",")]:
        if not (FOLDER / f"zip-{n}.sqlite3").exists():
            subprocess.run([sys.executable, __file__, "--child", "fill", str(n)], check=True)
        for mode in args.modes.split(","):
            subprocess.run([sys.executable, __file__, "--child", mode, str(n)], check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
