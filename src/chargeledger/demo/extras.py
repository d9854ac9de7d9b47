"""What drivers' apps and cars add to some demo sessions: a kWh limit, a rating, odometer readings, GPS/SoC
snapshots, and how the session is paid.

Each session draws these from its own random stream (seeded by its key), so adding them leaves the sessions the
generator drew before unchanged.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Iterator

from ..domain.events import EventKind, EventSource
from ..payments.gateway import _CARD_TRIGGERS

_LIMITS_KWH = (10, 15, 20, 30, 40)
_STARS = (5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
_COMMENTS = {5: ("Quick and easy", "Great spot, always free in the morning", ""),
             4: ("Fine, but the cable is short", "Good speed", ""),
             3: ("Had to restart the app once", ""),
             2: ("Charger was slow today", "Bay was blocked by a petrol car"),
             1: ("Session stopped by itself after 10 minutes", "Card reader did not work")}
_TRIGGERS = sorted(_CARD_TRIGGERS)  # the simulated gateway's documented failure cards
DEMO_CARD_FAILURE_EVERY = 25        # one in 25 card payments uses a failing card: the failure cards have content


def stream(key: str) -> random.Random:
    return random.Random(f"extras:{key}")


def energy_limit_wh(rng: random.Random) -> int | None:
    """One in 25 drivers sets a kWh limit in the app; the charger stops there."""
    if rng.random() >= 0.04:
        return None
    return rng.choice(_LIMITS_KWH) * 1000


def _event(kind: EventKind, at: datetime, payload: dict[str, Any]) -> tuple:
    return kind, at, EventSource.OPERATOR, payload


def driver_events(rng: random.Random, started: datetime, stopped: datetime, unplugged: datetime, energy_wh: float,
                  site: tuple[float, float], battery_kwh: float | None, has_vehicle: bool) -> list[tuple]:
    """(kind, time, source, payload) of what the driver's app and car reported about the session."""
    out = []
    if energy_wh > 0 and rng.random() < 0.10:
        stars = rng.choice(_STARS)
        out.append(_event(EventKind.DRIVER_RATED, unplugged - timedelta(seconds=rng.randint(5, 20)),
                          {"stars": stars, "comment": rng.choice(_COMMENTS[stars]),
                           "platform": rng.choice(("iOS app", "Android app"))}))
    if has_vehicle and energy_wh > 0 and rng.random() < 0.12:
        km = rng.randint(4_000, 140_000)
        out.append(_event(EventKind.ODOMETER_READ, started + timedelta(seconds=30),
                          {"km": km, "source": "telematics"}))
        if rng.random() < 0.3:  # the driver typed a slightly different number: the page shows the dispute
            out.append(_event(EventKind.ODOMETER_READ, started + timedelta(seconds=90),
                              {"km": km + rng.randint(-40, 40) or 1, "source": "driver"}))
        soc_start = rng.uniform(8, 60)
        soc_stop = min(100.0, soc_start + energy_wh / 1000 / (battery_kwh or 60.0) * 100)
        lat, lon = site
        for at_, when, soc in (("start", started, soc_start), ("stop", stopped, soc_stop)):
            jitter = 0.0004 if at_ == "start" else 0.0
            out.append(_event(EventKind.VEHICLE_SNAPSHOT, when, {
                "at": at_, "latitude": round(lat + rng.uniform(-jitter, jitter), 6),
                "longitude": round(lon + rng.uniform(-jitter, jitter), 6), "soc": round(soc, 1),
                "odometer_km": km}))
    return out


def payment(rng: random.Random, public: bool, roamed: bool, start_raw: str, cards: Iterator[int]) -> dict | None:
    """The SETTLED event's `payment` object; None leaves it to the ledger's default (RFID account/roaming)."""
    if roamed:
        return None
    if public:
        if rng.random() >= 0.30:  # most public drivers pay through their RFID contract
            return None
        method, preauth = "card", "50.00"  # ad-hoc card at the payment terminal
    elif start_raw in ("ios", "android"):
        method, preauth = "wallet", None
    else:
        return None
    card_number = next(cards)
    if card_number % DEMO_CARD_FAILURE_EVERY == DEMO_CARD_FAILURE_EVERY - 1:
        last4 = _TRIGGERS[(card_number // DEMO_CARD_FAILURE_EVERY) % len(_TRIGGERS)]
    else:
        last4 = f"{rng.randint(1000, 9999)}"
        while last4 in _CARD_TRIGGERS:
            last4 = f"{rng.randint(1000, 9999)}"
    return {"method": method, "card_last4": last4, **({"preauth_amount": preauth} if preauth else {})}
