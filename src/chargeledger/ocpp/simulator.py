"""Simulated chargers against a gateway over websockets: `chargeledger simulate` and `serve --simulate`.

The chargers themselves (sessions, power curves, answers to every command) are in ocpp/simulated/.
"""

from __future__ import annotations

import asyncio
import logging
import random

from .simulated.drive import SimulatedStation
from .simulated.plan import Plan  # noqa: F401 - part of this module's interface

log = logging.getLogger(__name__)


async def drive_station(url: str, station_id: str, version: str, sessions: int, speed: float, rng: random.Random,
                        password: str | None = None, forever: bool = False, tags: list[str] | None = None) -> int:
    """Boot, then run sessions one after the other on connector/EVSE 1; returns how many ran to an end."""
    return await SimulatedStation(url, station_id, version, speed, rng, password, tags).run(sessions, forever)


async def simulate(url: str, station_ids: list[str], sessions: int, speed: float, version: str,
                   password: str | None = None, seed: int = 1) -> int:
    """Spread `sessions` over the stations and run them all at once; returns how many completed."""
    per_station = [sessions // len(station_ids) + (1 if i < sessions % len(station_ids) else 0)
                   for i in range(len(station_ids))]
    results = await asyncio.gather(*(
        drive_station(url, sid, version, n, speed, random.Random(seed * 7919 + i), password)
        for i, (sid, n) in enumerate(zip(station_ids, per_station)) if n))
    return sum(results)


async def run_demo_traffic(engine, host: str, port: int, stations_at_once: int = 3) -> None:
    """`serve --simulate`: keep a few live sessions going at real speed on the demo operator's stations."""
    from sqlalchemy import select

    from ..demo.network import STATIONS as DEMO_STATIONS
    from ..storage.tables import id_tokens, stations
    # Only the demo operator's own stations, and only those without a password (we cannot know one).
    with engine.connect() as conn:
        rows = conn.execute(select(stations.c.id, stations.c.ocpp_version).where(
            stations.c.id.in_([plan.station_id for plan in DEMO_STATIONS]), stations.c.password_hash.is_(None))
            .order_by(stations.c.id).limit(stations_at_once)).all()
    if not rows:
        log.info("the demo operator is not loaded (chargeledger demo load): no simulated traffic")
        return
    with engine.connect() as conn:  # each station's own drivers' cards, so the back office accepts them
        cards = {r.id: list(conn.execute(
            select(id_tokens.c.uid).join(stations, stations.c.organisation_id == id_tokens.c.organisation_id)
            .where(stations.c.id == r.id, id_tokens.c.status == "Accepted").order_by(id_tokens.c.uid)
            .limit(50 * len(rows))).scalars()) for r in rows}
    # Stations of one organisation share its cards: each gets a slice of its own, or two stations would
    # sometimes start with the same card at once and be answered ConcurrentTx, as a real network would.
    tags = {r.id: cards[r.id][i::len(rows)] or cards[r.id] for i, r in enumerate(rows)}
    url, rng = f"ws://{host}:{port}", random.Random()
    while True:
        results = await asyncio.gather(*(drive_station(url, r.id, r.ocpp_version, 0, 1.0, rng, forever=True,
                                                       tags=tags[r.id])
                                         for r in rows), return_exceptions=True)
        log.warning("demo traffic stopped (%s); restarting in 10 s", results)
        await asyncio.sleep(10)
