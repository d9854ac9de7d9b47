"""A priced session's periods as OCPI 2.2.1 CDR `charging_periods`, so a CDR we issue re-prices to the same totals.

Dimensions: ENERGY (kWh) on every session period; TIME (hours) while charging; PARKING_TIME (hours) while parked;
RESERVATION_TIME (hours) for a reservation; MIN/MAX_POWER (kW) and MIN/MAX_CURRENT (A) where measured. Volumes are
full-precision Decimals: rounding them (e.g. hours to 4 decimals, 0.36 s) before re-pricing moves the totals.
A WAITING period (plugged in, charging not yet started) carries ENERGY 0, so it stays neither charging nor parking.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from chargeledger.pricing.result import PricedPeriod, PricedSession
from chargeledger.pricing.slices import CHARGING, PARKING, RESERVATION

_W_PER_KW = Decimal(1000)


def ocpi_datetime(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z; fractional seconds only when the moment has them."""
    utc = moment.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{utc.microsecond:06d}Z" if utc.microsecond else f"{text}Z"


def charging_periods_to_ocpi(priced: PricedSession, tariff_id: str | None = None) -> list[dict[str, Any]]:
    """OCPI CDR charging_periods for every period of `priced`, in time order; tariff_id on each when given."""
    out = []
    for period in priced.periods:
        entry: dict[str, Any] = {"start_date_time": ocpi_datetime(period.start), "dimensions": _dimensions(period)}
        if tariff_id is not None:
            entry["tariff_id"] = tariff_id
        out.append(entry)
    return out


def _dimensions(period: PricedPeriod) -> list[dict[str, Any]]:
    if period.kind == RESERVATION:
        return [{"type": "RESERVATION_TIME", "volume": period.reservation_time}]
    dims = [{"type": "ENERGY", "volume": period.energy}]
    if period.kind == CHARGING:
        dims.append({"type": "TIME", "volume": period.time})
    elif period.kind == PARKING:
        dims.append({"type": "PARKING_TIME", "volume": period.parking_time})
        if not period.energy:
            dims.pop(0)  # an idle period delivers nothing: PARKING_TIME alone, as OCPI examples show
    for kind, value in (("MIN_POWER", period.min_power_w), ("MAX_POWER", period.max_power_w)):
        if value is not None:
            dims.append({"type": kind, "volume": value / _W_PER_KW})
    for kind, value in (("MIN_CURRENT", period.min_current_a), ("MAX_CURRENT", period.max_current_a)):
        if value is not None:
            dims.append({"type": kind, "volume": value})
    return dims
