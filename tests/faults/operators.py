"""Operators working through the HTTP API while chargers charge and the server is killed: parallel refunds (with
distinct keys, and sometimes a replayed key) and statement report jobs. Every 2xx refund answer is noted."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from chargeledger.importing.mapping import load_mapping


@dataclass
class RefundAck:
    session_id: int
    refund_id: int
    amount: Decimal
    status: str
    key: str


@dataclass
class Desk:
    refunds: list[RefundAck] = field(default_factory=list)
    refused: int = 0
    unanswered: int = 0
    replays: int = 0
    report_jobs: int = 0
    imports: list[tuple[str, list[str]]] = field(default_factory=list)  # (mapping, session ids) of imports exit 0
    import_failures: int = 0


async def refund_rounds(base: str, key: str, sessions: list[int], rng: random.Random, desk: Desk,
                        stop: asyncio.Event, parallel: int = 8) -> None:
    """Rounds of `parallel` refunds at once on one session (the race that moved money twice)."""
    headers = {"Authorization": f"Bearer {key}"}
    number = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while not stop.is_set():
            sid = rng.choice(sessions)
            asks = []
            for _ in range(parallel):
                number += 1
                cents = rng.randint(10, 90)
                asks.append((f"{sid}-{number}-{rng.randrange(10**6)}", Decimal(cents) / 100))
            if desk.refunds and rng.random() < 0.3:  # a client retrying with the key of an answered refund
                first = rng.choice(desk.refunds)
                asks.append((first.key, first.amount))
                sid_of = {first.key: first.session_id}
                desk.replays += 1
            else:
                sid_of = {}

            async def one(idem: str, amount: Decimal):
                target = sid_of.get(idem, sid)
                try:
                    answer = await http.post(f"/api/sessions/{target}/refunds", json={
                        "amount": f"{amount:.2f}", "currency": "EUR", "reason": "fault suite",
                        "idempotency_key": idem})
                except httpx.HTTPError:
                    desk.unanswered += 1  # killed mid-request: outcome unknown, nothing acknowledged
                    await asyncio.sleep(0.2)  # the server is restarting
                    return
                if 200 <= answer.status_code < 300:
                    body = answer.json()
                    desk.refunds.append(RefundAck(target, int(body["id"]), Decimal(body["amount"]),
                                                  body["status"], idem))
                else:
                    desk.refused += 1

            await asyncio.gather(*(one(idem, amount) for idem, amount in asks))
            await asyncio.sleep(rng.random() * 0.3)


async def report_jobs(base: str, key: str, rng: random.Random, desk: Desk, stop: asyncio.Event) -> None:
    """Statement CSV jobs: the ones that opened the live SQLite file with a second library."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while not stop.is_set():
            try:
                answer = await http.post("/api/reports/jobs", json={
                    "report": "statement", "format": "csv", "start": "2020-01-01", "end": "2035-01-01",
                    "time_zone": "Europe/Amsterdam"})
                if answer.status_code == 202:
                    desk.report_jobs += 1
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5 + rng.random())


TRONDHEIM = (Path(__file__).resolve().parents[1] / "data" / "sessions" / "norway_trondheim_residential"
             / "Dataset 1_EV charging reports.csv")


async def imports(url: str, folder: Path, rng: random.Random, desk: Desk, stop: asyncio.Event,
                  rows: int = 100) -> None:
    """`chargeledger import sessions` as its own process on the same database, a new slice of a real dataset each
    time, while the server runs and is killed; an import that exits 0 has stored every row."""
    lines = TRONDHEIM.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    start = 0
    while not stop.is_set() and start < len(body):
        part = body[start:start + rows]
        start += rows
        file = folder / f"import-{start}.csv"
        file.write_text("\n".join([header, *part]) + "\n", encoding="utf-8")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from chargeledger.cli.main import app; app()", "import", "sessions", str(file),
            "--mapping", "trondheim_residential", "--org", "ACME",
            env={**os.environ, "CHARGELEDGER_DATABASE_URL": url},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        if await child.wait() == 0:
            desk.imports.append((load_mapping("trondheim_residential").name, [line.split(";", 1)[0] for line in part]))
        else:
            desk.import_failures += 1
        await asyncio.sleep(rng.random())
