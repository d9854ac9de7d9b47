"""One seeded fault run: chargers over real websockets and operators over HTTP against the real server process,
which is SIGKILLed at random moments and restarted; then the server drains and the invariants are checked.

CHARGELEDGER_FAULTS_SEED fixes every random choice (which charger does what, when the kills come, when the payment
partner is down), so a failing run is reproduced by running it again with the seed it printed."""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from chargeledger.directory import registry
from chargeledger.domain.network import Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Station
from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import payments
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, add_user_key
from tests.settlement.helpers import record_session, tariff_text

from .chargers import Charger, Tally
from .invariants import check_all, snapshot
from .operators import Desk, imports, refund_rounds, report_jobs
from .server import Server


def seed_from_env(default: int) -> int:
    return int(os.environ.get("CHARGELEDGER_FAULTS_SEED", default))


@dataclass
class Outcome:
    store: str
    seed: int
    kills: int = 0
    acked: int = 0
    refunds_acked: int = 0
    imports_done: int = 0
    tally: Tally = field(default_factory=Tally)
    desk: Desk = field(default_factory=Desk)
    violations: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        counts = " ".join(f"{k}={len(v)}" for k, v in self.violations.items())
        return (f"{self.store} seed={self.seed} kills={self.kills} acked={self.acked} "
                f"refunds={self.refunds_acked} (refused {self.desk.refused}, unanswered {self.desk.unanswered}) "
                f"imports={self.imports_done} violations {counts}")


def _station(engine, station_id: str, version: str) -> None:
    plug = Connector(1, ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), 3)
    registry.add_station(engine, Station(
        station_id, "ACME", "ACME-SITE", station_id, serial_number=f"SN-{station_id}", vendor="Alfen",
        model="Eve", ocpp_version=OcppVersion(version),
        evses=(Evse(f"NL*ACM*E{station_id.replace('-', '')}*1", 1, (plug,)),)), unsecured=True)


def prepare(url: str, chargers: int, refund_targets: int) -> tuple[list[tuple[str, str]], list[int], str]:
    """The network (stations half 1.6, half 2.0.1), a priced tariff, card-paid sessions to refund, an API key."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        add_network(engine)  # ACME, its site and CP-1, on which the sessions to refund were recorded
        stored = tariffs.save_tariff(engine, "ACME", tariff_text())
        tariffs.assign(engine, stored.tariff_id, "site", "ACME-SITE")
        stations = [(f"FLT-{i}", "1.6" if i % 2 == 0 else "2.0.1") for i in range(chargers)]
        for station_id, version in stations:
            _station(engine, station_id, version)
        targets = [record_session(engine, key=f"refund-{i}", start_min=i) for i in range(refund_targets)]
        key = add_user_key(engine, "ops@acme.example", ["ACME"], ["support", "reports", "finance"])
        return stations, targets, key
    finally:
        engine.dispose()


def _wait_paid(url: str, targets: list[int], timeout: float = 60) -> None:
    """The sessions to refund are captured by the server's own outbox worker before operators start."""
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                done = conn.execute(select(payments.c.session_id).where(
                    payments.c.session_id.in_(targets), payments.c.status == "captured")).scalars().all()
            if len(set(done)) == len(targets):
                return
            time.sleep(0.2)
        raise RuntimeError(f"only {len(set(done))} of {len(targets)} sessions to refund were captured")
    finally:
        engine.dispose()


async def _killer(server: Server, rng: random.Random, kills: int, span: float, stop: asyncio.Event,
                  partner_outage: bool) -> None:
    """Kills at seeded moments of the server's live time (a restart's own seconds do not count, so the chargers
    and operators get `span` seconds of a running server between the kills)."""
    moments = sorted(rng.uniform(0.5, span) for _ in range(kills))
    gaps = [b - a for a, b in zip([0.0, *moments], moments)]
    down_from, down_until = (sorted(rng.uniform(0, span) for _ in range(2)) if partner_outage else (None, None))
    live = 0.0
    for gap in gaps:
        await asyncio.sleep(gap)
        live += gap
        if down_from is not None:  # the payment partner is down for a while
            if down_from <= live < down_until:
                server.partner_down_flag.touch()
            else:
                server.partner_down_flag.unlink(missing_ok=True)
        server.kill()
        await asyncio.sleep(rng.uniform(0.05, 0.5))
        await asyncio.to_thread(server.start)
    await asyncio.sleep(max(0.0, span - live))
    server.partner_down_flag.unlink(missing_ok=True)
    stop.set()


async def _drain(url: str, outcome: Outcome, acks, refunds, imported, timeout: float) -> None:
    """Give the worker its time to settle what the chargers finished; (d) is judged after this."""
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            outcome.violations = await asyncio.to_thread(lambda: check_all(snapshot(engine), acks, refunds, imported))
            if not outcome.violations["d"] or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.5)
    finally:
        engine.dispose()


async def run(url: str, folder: Path, store: str, seed: int, chargers: int = 4, sessions: int = 3,
              kills: int = 2, refund_targets: int = 3, parallel: int = 6, span: float = 10.0,
              partner_outage: bool = True, drain_seconds: float = 30.0, pace: float = 0.2) -> Outcome:
    rng = random.Random(seed)
    outcome = Outcome(store, seed)
    stations, targets, key = prepare(url, chargers, refund_targets)
    server = Server(url, folder)
    await asyncio.to_thread(server.start)
    try:
        await asyncio.to_thread(_wait_paid, url, targets)
        stop = asyncio.Event()
        plays = [Charger(sid, version, server.ocpp, random.Random(rng.random()), outcome.tally, pace)
                 .play(sessions) for sid, version in stations]
        work = [asyncio.gather(*plays),
                refund_rounds(server.base, key, targets, random.Random(rng.random()), outcome.desk, stop, parallel),
                report_jobs(server.base, key, random.Random(rng.random()), outcome.desk, stop),
                imports(url, folder, random.Random(rng.random()), outcome.desk, stop),
                _killer(server, random.Random(rng.random()), kills, span, stop, partner_outage)]
        await asyncio.gather(*work)
        if not server.alive():
            await asyncio.to_thread(server.start)
        outcome.kills = server.kills
        outcome.acked = len(outcome.tally.acks)
        outcome.refunds_acked = len(outcome.desk.refunds)
        outcome.imports_done = len(outcome.desk.imports)
        await _drain(url, outcome, outcome.tally.acks, outcome.desk.refunds, outcome.desk.imports, drain_seconds)
    finally:
        server.stop()
    return outcome
