"""Meter readings whose timestamp cannot be right: kept in the ledger as received, left out of the session.

A charger whose clock reset stamps a reading 2000-01-01 in the middle of a session. Sorted by time it came first,
and the register's drop back to the real values was read as a reset and counted twice (issue 12: 16,650 Wh
instead of 11,100, billed 8.46 instead of 6.24). A reading stamped before the transaction started or after it
stopped (beyond a tolerance for clocks a little apart), or in the future, is therefore flagged as data quality
and left out of the energy, the curve and the time-based price dimensions; energy remains the register
difference between the readings that remain.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .flags import Flag, FlagCode
from .meter import MeterSample

TOLERANCE = timedelta(minutes=5)


def trusted_samples(samples: list[MeterSample], started_at: datetime | None, stopped_at: datetime | None,
                    now: datetime | None = None, tolerance: timedelta = TOLERANCE
                    ) -> tuple[list[MeterSample], Flag | None]:
    """The readings stamped inside the transaction (± tolerance) and not in the future, and a flag for the rest."""
    earliest = started_at - tolerance if started_at else None
    latest = min((t for t in (stopped_at, now) if t is not None), default=None)
    latest = latest + tolerance if latest else None
    kept, suspect = [], []
    for sample in samples:
        if (earliest and sample.time < earliest) or (latest and sample.time > latest):
            suspect.append(sample)
        else:
            kept.append(sample)
    if not suspect:
        return samples, None
    times = sorted({s.time for s in suspect})
    shown = ", ".join(t.isoformat() for t in times[:3]) + (" …" if len(times) > 3 else "")
    return kept, Flag(FlagCode.METER_CLOCK_SUSPECT,
                      f"{len(suspect)} reading(s) stamped outside the transaction or in the future ({shown}) "
                      "kept in the ledger but left out of energy, curve and price")
