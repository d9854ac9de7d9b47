"""What a ChargeLedger session consumed, in the plain form the pricing engine reads.

Samples are the session projection's output, already cleaned of meter faults: energy is cumulative from the session
start and never falls. Between two samples energy is taken to rise linearly; power, current and the charging flag
hold from a sample until the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """One sample. `charging` means the vehicle is charging or asking for power from this moment until the next
    sample; after charging has started, a False flag is parking (idle) time."""

    time: datetime  # aware, UTC
    energy_wh: Decimal  # cumulative since the session start
    power_w: Decimal | None = None  # None = not measured: power restrictions then do not hold
    current_a: Decimal | None = None  # sum over phases
    charging: bool = True


@dataclass(frozen=True, slots=True)
class Reservation:
    """The EVSE was reserved from `start` until `end` (charging started, or the reservation expired)."""

    start: datetime
    end: datetime
    expired: bool = False


@dataclass(frozen=True, slots=True)
class Usage:
    """A session from plug-in (`start`) to leaving (`end`), with samples inside [start, end].

    Before the first sample the first sample's state is assumed with energy 0 at `start`; after the last sample its
    state holds until `end` with no further energy.
    """

    start: datetime
    end: datetime
    samples: tuple[UsagePoint, ...] = field(default=())
    reservation: Reservation | None = None
