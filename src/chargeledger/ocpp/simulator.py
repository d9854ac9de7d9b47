"""Simulated chargers: ocpp-library charge points that replay plausible sessions against a gateway over websockets.

Sessions draw from plausible distributions: AC at 7-22 kW, DC at 50-150 kW tapering above 80 % state of charge,
energies around what drivers take, and an idle tail after charging. Charger time runs `speed` times real time.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as c16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as c201

log = logging.getLogger(__name__)
METER_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Plan:
    dc: bool
    max_w: float
    battery_wh: float
    soc_start: float
    soc_target: float
    idle_tail: timedelta
    plug_delay: timedelta

    @classmethod
    def draw(cls, rng: random.Random) -> "Plan":
        dc = rng.random() < 0.3
        battery = rng.choice((40_000, 58_000, 77_000, 100_000))
        start = rng.uniform(0.1, 0.5)
        return cls(dc, rng.uniform(50_000, 150_000) if dc else rng.choice((7_400, 11_000, 22_000)) * rng.uniform(0.7, 1),
                   battery, start, min(1.0, start + rng.uniform(0.2, 0.6)),
                   timedelta(minutes=rng.expovariate(1 / (5 if dc else 45))), timedelta(seconds=rng.uniform(20, 90)))

    def power_w(self, soc: float) -> float:
        """DC tapers linearly from full power at 80 % to a tenth at 100 %; AC holds until the car nearly is full."""
        if self.dc and soc > 0.8:
            return self.max_w * max(0.1, 1 - (soc - 0.8) / 0.2 * 0.9)
        if not self.dc and soc > 0.97:
            return self.max_w * 0.3
        return self.max_w


class Clock:
    def __init__(self, speed: float):
        self.speed, self.origin, self.real = speed, datetime.now(timezone.utc), asyncio.get_running_loop().time()

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(asyncio.get_running_loop().time() - self.real) * self.speed)

    async def wait(self, span: timedelta) -> None:
        await asyncio.sleep(span.total_seconds() / self.speed)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def connect(url: str, station_id: str, version: str, password: str | None = None):
    headers = {"Authorization": "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()} \
        if password else {}
    ws = await websockets.connect(f"{url}/ocpp/{station_id}", subprotocols=[f"ocpp{version}"],
                                  additional_headers=headers, open_timeout=30)
    cp = (Cp16 if version == "1.6" else Cp201)(station_id, ws, response_timeout=60)
    task = asyncio.create_task(cp.start())
    return cp, ws, task


async def drive_station(url: str, station_id: str, version: str, sessions: int, speed: float, rng: random.Random,
                        password: str | None = None, forever: bool = False) -> int:
    """Boot, then run sessions one after the other on connector/EVSE 1; returns how many were completed."""
    cp, ws, task = await connect(url, station_id, version, password)
    clock, done = Clock(speed), 0
    try:
        if version == "1.6":
            await cp.call(c16.BootNotification(charge_point_model="SimCharger", charge_point_vendor="ChargeLedger"))
        else:
            await cp.call(c201.BootNotification(charging_station={"model": "SimCharger",
                                                                  "vendorName": "ChargeLedger"}, reason="PowerUp"))
        register = rng.uniform(1e5, 5e6)
        while forever or done < sessions:
            plan = Plan.draw(rng)
            run = _session16 if version == "1.6" else _session201
            register = await run(cp, clock, plan, register, f"SIM{rng.randrange(10**6):06d}")
            done += 1
            await clock.wait(timedelta(minutes=rng.uniform(1, 10)))
    finally:
        task.cancel()
        await ws.close()
    return done


def _curve(plan: Plan):
    """Yields (energy added in the last minute in Wh, power W, soc) until the target state of charge."""
    soc = plan.soc_start
    while soc < plan.soc_target:
        power = plan.power_w(soc)
        wh = power * METER_EVERY.total_seconds() / 3600
        soc = min(plan.soc_target, soc + wh / plan.battery_wh)
        yield wh, power, soc


async def _session16(cp, clock: Clock, plan: Plan, register: float, tag: str) -> float:
    async def status(name):
        await cp.call(c16.StatusNotification(connector_id=1, error_code="NoError", status=name,
                                             timestamp=_iso(clock.now())))
    await status("Preparing")
    await clock.wait(plan.plug_delay)
    await cp.call(c16.Authorize(id_tag=tag))
    tx = (await cp.call(c16.StartTransaction(connector_id=1, id_tag=tag, meter_start=int(register),
                                             timestamp=_iso(clock.now())))).transaction_id
    await status("Charging")
    for wh, power, soc in _curve(plan):
        await clock.wait(METER_EVERY)
        register += wh
        await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": _iso(clock.now()), "sampledValue": [
                {"value": f"{register:.0f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": f"{power:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": f"{soc * 100:.0f}", "measurand": "SoC", "unit": "Percent", "location": "EV"}]}]))
    await status("SuspendedEV")
    await clock.wait(plan.idle_tail)
    await cp.call(c16.StopTransaction(meter_stop=int(register), timestamp=_iso(clock.now()), transaction_id=tx,
                                      reason="EVDisconnected"))
    await status("Finishing")
    await clock.wait(timedelta(seconds=30))
    await status("Available")
    return register


async def _session201(cp, clock: Clock, plan: Plan, register: float, tag: str) -> float:
    txid, seq = f"{tag}-{int(clock.now().timestamp())}", 0

    async def event(kind, trigger, state=None, meter=True, **extra):
        nonlocal seq
        info = {"transactionId": txid, **({"chargingState": state} if state else {}), **extra.pop("info", {})}
        values = [{"timestamp": _iso(clock.now()), "sampledValue": [
            {"value": round(register, 1), "measurand": "Energy.Active.Import.Register"}]}] if meter else None
        await cp.call(c201.TransactionEvent(event_type=kind, timestamp=_iso(clock.now()), trigger_reason=trigger,
                                            seq_no=seq, transaction_info=info, meter_value=values, **extra))
        seq += 1

    await event("Started", "CablePluggedIn", "EVConnected", evse={"id": 1, "connectorId": 1})
    await clock.wait(plan.plug_delay)
    await event("Updated", "Authorized", meter=False, id_token={"idToken": tag, "type": "ISO14443"})
    await event("Updated", "ChargingStateChanged", "Charging")
    for wh, power, soc in _curve(plan):
        await clock.wait(METER_EVERY)
        register += wh
        await cp.call(c201.MeterValues(evse_id=1, meter_value=[{"timestamp": _iso(clock.now()), "sampledValue": [
            {"value": round(register, 1), "measurand": "Energy.Active.Import.Register"},
            {"value": round(power), "measurand": "Power.Active.Import"},
            {"value": round(soc * 100), "measurand": "SoC", "location": "EV"}]}]))
    await event("Updated", "ChargingStateChanged", "SuspendedEV")
    await clock.wait(plan.idle_tail)
    await event("Ended", "EVDeparted", "Idle", info={"stoppedReason": "EVDisconnected"})
    return register


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
    from ..storage.tables import stations
    # Only the demo operator's own stations, and only those without a password (we cannot know one).
    with engine.connect() as conn:
        rows = conn.execute(select(stations.c.id, stations.c.ocpp_version).where(
            stations.c.id.in_([plan.station_id for plan in DEMO_STATIONS]), stations.c.password_hash.is_(None))
            .order_by(stations.c.id).limit(stations_at_once)).all()
    if not rows:
        log.info("the demo operator is not loaded (chargeledger demo load): no simulated traffic")
        return
    url, rng = f"ws://{host}:{port}", random.Random()
    while True:
        results = await asyncio.gather(*(drive_station(url, r.id, r.ocpp_version, 0, 1.0, rng, forever=True)
                                         for r in rows), return_exceptions=True)
        log.warning("demo traffic stopped (%s); restarting in 10 s", results)
        await asyncio.sleep(10)
