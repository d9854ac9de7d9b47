"""The fault suite at scale: more chargers, more sessions, more kills, several seeded runs per store.

    .venv/bin/python bench/faults.py --runs 3 --chargers 16 --sessions 6 --kills 8 --databases sqlite,postgres

Each run starts a real `chargeledger serve` on its own SQLite file or its own PostgreSQL database, plays 1.6 and
2.0.1 chargers over real websockets (with resent, duplicated, reordered and late messages), refunds in parallel and
runs report jobs over HTTP, imports slices of a real dataset with `chargeledger import` processes, takes the
payment partner down for a while, and SIGKILLs and restarts the server at seeded random moments.
Then it lets the server drain and checks the invariants (tests/faults/invariants.py):
  a  acknowledged OCPP calls in the ledger exactly once     b  2xx refunds stored with their ledger entry
  c  payment totals equal ledger totals                     d  no session left unsettled, nothing twice
  e  an import that exited 0 stored every row
Printed per run and per store: kills, acknowledged calls and refunds, violations per invariant (goal: 0), and the
seed; CHARGELEDGER_FAULTS_SEED=<seed> --runs 1 replays one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import POSTGRES_URL  # noqa: E402
from tests.faults.run import run, seed_from_env  # noqa: E402

KEYS = "abcde"


def _database(kind: str, folder: Path):
    if kind == "sqlite":
        return f"sqlite:///{folder / 'ledger.sqlite3'}", lambda: None
    name = f"bench_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chargers", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=6, help="charging sessions per charger and run")
    parser.add_argument("--kills", type=int, default=8, help="SIGKILLs per run")
    parser.add_argument("--span", type=float, default=40.0, help="seconds over which the kills are spread")
    parser.add_argument("--refund-targets", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=12, help="refunds sent at once on one session")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--show", type=int, default=3, help="violations printed per invariant and run")
    args = parser.parse_args()
    first_seed = seed_from_env(int(time.time()))
    head = (f"{'store':9} {'run':>3} {'seed':>11} {'kills':>5} {'acked':>6} {'refunds':>7} {'imports':>7} "
            f"{'resent':>6} "
            + " ".join(f"{k:>4}" for k in KEYS) + f" {'seconds':>7}")
    totals: dict[str, dict] = {}
    print(head)
    for kind in args.databases.split(","):
        total = totals.setdefault(kind, {"runs": 0, "kills": 0, "acked": 0, "refunds": 0,
                                         **{k: 0 for k in KEYS}})
        for number in range(args.runs):
            seed = first_seed + number
            with tempfile.TemporaryDirectory() as folder:
                url, drop = _database(kind, Path(folder))
                started = time.perf_counter()
                try:
                    o = asyncio.run(run(url, Path(folder), kind, seed, chargers=args.chargers,
                                        sessions=args.sessions, kills=args.kills,
                                        refund_targets=args.refund_targets, parallel=args.parallel,
                                        span=args.span, drain_seconds=60))
                finally:
                    drop()
            seconds = time.perf_counter() - started
            print(f"{kind:9} {number + 1:>3} {seed:>11} {o.kills:>5} {o.acked:>6} {o.refunds_acked:>7} "
                  f"{o.imports_done:>7} {o.tally.resent:>6} " + " ".join(f"{len(o.violations[k]):>4}" for k in KEYS)
                  + f" {seconds:>7.1f}", flush=True)
            for k in KEYS:
                for line in o.violations[k][:args.show]:
                    print(f"    ({k}) {line}")
            total["runs"] += 1
            for name, value in (("kills", o.kills), ("acked", o.acked), ("refunds", o.refunds_acked)):
                total[name] += value
            for k in KEYS:
                total[k] += len(o.violations[k])
    print()
    print(f"{'store':9} {'runs':>4} {'kills':>5} {'acked':>6} {'refunds':>7} " + " ".join(f"{k:>4}" for k in KEYS))
    for kind, t in totals.items():
        print(f"{kind:9} {t['runs']:>4} {t['kills']:>5} {t['acked']:>6} {t['refunds']:>7} "
              + " ".join(f"{t[k]:>4}" for k in KEYS))


if __name__ == "__main__":
    main()
