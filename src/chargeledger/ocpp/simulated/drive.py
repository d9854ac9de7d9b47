"""Runs a simulated charger: connect and boot, then sessions one after the other on connector/EVSE 1, each cut short
when an operator's command asks (remote stop, reset, unlock), and a remote start begins one at once. A reset closes
the websocket and boots again on a new one, as a real charger reboots."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from datetime import timedelta

import websockets

from .charger16 import SimCharger16
from .charger201 import SimCharger201
from .configuration import Configuration16, Variables201
from .hardware import Ending, Hardware, Meter
from .plan import METER_EVERY, Clock, Plan

log = logging.getLogger(__name__)
_CLASSES = {"1.6": SimCharger16, "2.0.1": SimCharger201}


class SimulatedStation:
    def __init__(self, url: str, station_id: str, version: str, speed: float, rng: random.Random,
                 password: str | None = None, tags: list[str] | None = None):
        self.url, self.station_id, self.version, self.password, self.rng = url, station_id, version, password, rng
        # The drivers' cards (the operator's tokens): a refused one does not charge. Without any, made-up cards and
        # the charger in free-vend mode (it charges whatever the answer, as `chargeledger simulate` needs).
        self.tags = tags or []
        self.hw = Hardware(station_id, Clock(speed), rng, Meter(rng.uniform(1e5, 5e6)))
        self.settings = Configuration16() if version == "1.6" else Variables201()  # survives reboots, as on flash
        self.cp = self.ws = self.task = None
        self.unplug_after = timedelta(seconds=30)  # a driver's walk back to the car after a stop, charger time
        self.dark_for = timedelta(seconds=5)  # how long a reboot takes, charger time

    async def connect(self, rebooted: bool = False) -> None:
        headers = {"Authorization": "Basic " + base64.b64encode(
            f"{self.station_id}:{self.password}".encode()).decode()} if self.password else {}
        self.ws = await websockets.connect(f"{self.url}/ocpp/{self.station_id}",
                                           subprotocols=[f"ocpp{self.version}"], additional_headers=headers,
                                           open_timeout=30)
        self.cp = _CLASSES[self.version](self.station_id, self.ws, response_timeout=60).attach(self.hw,
                                                                                              self.settings)
        self.task = asyncio.create_task(self.cp.start())
        await self.cp.boot(rebooted)
        await self.cp.set_status("Available" if self.hw.operative else "Unavailable")

    async def close(self) -> None:
        self.hw.cancel_followups()
        if self.task is not None:
            self.task.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def reboot(self) -> None:
        """Closed connection, a few seconds dark, a new connection and a BootNotification (reason RemoteReset)."""
        await self.close()
        await self.hw.clock.wait(self.dark_for)
        hw = self.hw
        hw.reboot, hw.transaction, hw.ending, hw.start_wish, hw.status = None, None, None, None, "Available"
        hw.end.clear()
        hw.wake.clear()
        await self.connect(rebooted=True)

    async def run(self, sessions: int, forever: bool = False, first_after: timedelta | None = None) -> int:
        """Run sessions, a pause of a few minutes between two; returns how many ran to an end. A remote start
        cuts a pause short; `first_after` keeps the charger idle that long first (waiting for one)."""
        await self.connect()
        done, hw = 0, self.hw
        try:
            while forever or done < sessions:
                if hw.reboot:
                    await self.reboot()
                tag = self.rng.choice(self.tags) if self.tags else f"SIM{self.rng.randrange(10**6):06d}"
                remote_id = None
                pause = timedelta(minutes=self.rng.uniform(1, 10)) if done else first_after
                if pause:
                    await hw.clock.wait(pause, hw.wake)
                hw.wake.clear()
                if hw.reboot:
                    continue
                wished, hw.start_wish = hw.start_wish, None
                if wished:
                    tag, remote_id = wished
                elif not hw.operative:
                    continue
                await self.session(Plan.draw(self.rng), tag, remote=wished is not None, remote_start_id=remote_id)
                done += 1
        finally:
            await self.close()
        return done

    async def session(self, plan: Plan, tag: str, remote: bool, remote_start_id: int | None) -> None:
        hw, cp, clock = self.hw, self.cp, self.hw.clock
        hw.ending = None
        hw.end.clear()
        hw.meter.voltage_v, hw.meter.soc = plan.voltage_v(), plan.soc_start
        await cp.plugged(remote)
        if not remote:
            if await clock.wait(plan.plug_delay, hw.end):
                return await self._finish()
            if not await cp.authorize(tag) and self.tags:  # a refused card: no charge; the driver leaves
                if hw.transaction is not None:
                    hw.ending = Ending.DEAUTHORIZED
                    return await self._finish()
                return await cp.departed()
        await cp.begin(tag, remote_start_id if self.version == "2.0.1" else None)
        for wh, power, soc in plan.curve():
            hw.meter.power_w, hw.meter.since = power, clock.now()
            if await clock.wait(METER_EVERY, hw.end):
                hw.meter.register_wh = hw.meter.reading(clock.now())  # up to the stop
                hw.meter.since = None
                return await self._finish()
            hw.meter.register_wh, hw.meter.since = hw.meter.register_wh + wh, None
            hw.meter.soc = soc
            await cp.send_meter()
        hw.meter.power_w, hw.meter.since = 0.0, None
        await cp.suspended()
        if await clock.wait(plan.idle_tail, hw.end):
            return await self._finish()
        await cp.end(Ending.EV_LEFT)
        await cp.departed()

    async def _finish(self) -> None:
        """An operator's command ended the transaction: the charger reports it, then the driver unplugs."""
        hw, cp = self.hw, self.cp
        if hw.transaction is not None:
            await asyncio.sleep(1.0)  # opening the contactor and reading the meter take a real charger a moment
            await cp.end(hw.ending or Ending.REMOTE)
        if hw.reboot:
            return  # the reboot's BootNotification and status follow on the new connection
        await hw.clock.wait(self.unplug_after)
        await cp.departed()
