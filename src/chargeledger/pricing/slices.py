"""The engine's working period: a stretch with one set of active components and its measured volumes.

Both entry points produce these (from a CDR's charging periods, or from ChargeLedger samples) and the engine
prices them; they are mutable only while being built, and never leave the package.
"""

from __future__ import annotations

from decimal import Decimal

CHARGING, PARKING, WAITING, RESERVATION = "CHARGING", "PARKING", "WAITING", "RESERVATION"
ZERO = Decimal(0)


class Slice:
    __slots__ = ("start", "end", "kind", "energy_kwh", "time_s", "parking_s", "reservation_s",
                 "energy_c", "time_c", "parking_c", "flat_c", "key",
                 "min_w", "max_w", "min_a", "max_a",
                 "lines", "excl", "incl")  # filled by totals.py: raw lines and the period's cost

    def __init__(self, start: int, end: int, kind: str, energy_c, time_c, parking_c, flat_c,
                 energy_kwh: Decimal = ZERO, time_s: Decimal = ZERO, parking_s: Decimal = ZERO,
                 reservation_s: Decimal = ZERO, key: tuple | None = None,
                 min_w=None, max_w=None, min_a=None, max_a=None):
        self.start = start
        self.end = end
        self.kind = kind
        self.energy_c = energy_c
        self.time_c = time_c
        self.parking_c = parking_c
        self.flat_c = flat_c
        self.energy_kwh = energy_kwh
        self.time_s = time_s
        self.parking_s = parking_s
        self.reservation_s = reservation_s
        self.key = key
        self.min_w = min_w
        self.max_w = max_w
        self.min_a = min_a
        self.max_a = max_a
        self.lines = ()
        self.excl = self.incl = ZERO
