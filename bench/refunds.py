"""Parallel refunds on one payment, in rounds, on SQLite and PostgreSQL: does money move twice, does a refund lose
its ledger entry, and what does serialising cost?

    .venv/bin/python bench/refunds.py --rounds 5 --parallel 50 --databases sqlite,postgres

Each round records a session paid by card (6.53 EUR) through the real ledger, then `parallel` threads refund a
tenth of the capture each with distinct keys through the real HTTP server (uvicorn on loopback). Printed per round
and store: refunds answered 201, amount refunded against the capture, succeeded refunds missing their
`refund_recorded` ledger entry, wall time and refunds per second. Goal: over-refund 0 %, missing 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_engine  # noqa: E402
from chargeledger.storage.tables import payments, refunds, session_events  # noqa: E402
from tests.http.live import serving  # noqa: E402
from tests.payments.test_refunds_api import _setup  # noqa: E402
from tests.settlement.helpers import record_session  # noqa: E402



def _engine(kind: str, folder: str):
    return fresh_engine(kind, folder, "bench_refunds")


def _round(engine, base: str, auth: dict, sid: int, parallel: int) -> dict:
    captured = Decimal("6.53")
    share = str((captured / 10).quantize(Decimal("0.01")))

    def refund(i: int):
        with httpx.Client(base_url=base, headers=auth, timeout=120) as http:
            return http.post(f"/api/sessions/{sid}/refunds", json={
                "amount": share, "currency": "EUR", "reason": "bench", "idempotency_key": f"{sid}-{i}"}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        codes = list(pool.map(refund, range(parallel)))
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        done = conn.execute(select(refunds.c.id, refunds.c.amount).where(
            refunds.c.session_id == sid, refunds.c.status == "succeeded")).all()
        recorded = set(conn.execute(select(session_events.c.idempotency_key).where(
            session_events.c.session_id == sid, session_events.c.kind == "refund_recorded")).scalars())
        capture = conn.execute(select(payments.c.amount_captured).where(payments.c.session_id == sid)).scalar()
    refunded = sum((Decimal(r.amount) for r in done), Decimal(0))
    return {"created": codes.count(201), "refunded_pct": 100 * refunded / Decimal(capture),
            "missing": sum(1 for r in done if f"refund:{r.id}" not in recorded), "seconds": elapsed,
            "per_second": parallel / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{'store':9} {'round':>5} {'201s':>5} {'refunded':>9} {'missing':>7} {'seconds':>8} {'refunds/s':>9}")
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as folder:
            engine, drop = _engine(kind, folder)
            try:
                sid, _client, auth = _setup(engine)
                worst, missing = Decimal(0), 0
                with serving(engine) as (base, _app):
                    for number in range(1, args.rounds + 1):
                        if number > 1:
                            sid = record_session(engine, key=f"round-{number}")
                        r = _round(engine, base, auth, sid, args.parallel)
                        worst, missing = max(worst, r["refunded_pct"]), missing + r["missing"]
                        print(f"{kind:9} {number:>5} {r['created']:>5} {r['refunded_pct']:>8.1f}% {r['missing']:>7} "
                              f"{r['seconds']:>8.2f} {r['per_second']:>9.1f}")
                print(f"{kind:9} worst refunded {worst:.1f}% of the capture, {missing} refunds without ledger entry")
            finally:
                engine.dispose()
                drop()


if __name__ == "__main__":
    main()
