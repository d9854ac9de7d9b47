"""What a simulated vehicle does (power curve, energy, idle tail) and the charger's clock, `speed` times real time."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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

    def voltage_v(self) -> float:
        return 400.0 if self.dc else 230.0

    def curve(self):
        """Yields (energy added in the last minute in Wh, power W, soc) until the target state of charge."""
        soc = self.soc_start
        while soc < self.soc_target:
            power = self.power_w(soc)
            wh = power * METER_EVERY.total_seconds() / 3600
            soc = min(self.soc_target, soc + wh / self.battery_wh)
            yield wh, power, soc


class Clock:
    def __init__(self, speed: float):
        self.speed, self.origin, self.real = speed, datetime.now(timezone.utc), asyncio.get_running_loop().time()

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(asyncio.get_running_loop().time() - self.real) * self.speed)

    async def wait(self, span: timedelta, interrupt: asyncio.Event | None = None) -> bool:
        """Wait `span` of charger time; True if `interrupt` was set first (an operator's command cut it short)."""
        seconds = max(0.0, span.total_seconds() / self.speed)
        if interrupt is None:
            await asyncio.sleep(seconds)
            return False
        try:
            await asyncio.wait_for(interrupt.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
