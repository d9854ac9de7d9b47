"""Builders for pricing tests: tariffs from small dicts, CDRs and usages from minute-level scenarios."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from chargeledger.pricing import Tariff, Usage, UsagePoint, ocpi_json

DATA = Path(__file__).parent / "data"
UTC = timezone.utc
CENT = Decimal("0.01")


def load_json(path: Path) -> Any:
    return ocpi_json.loads(path.read_text(encoding="utf-8"))


def tariff(*elements: dict, **top: Any) -> Tariff:
    """A Tariff from element dicts; numbers given as strings become Decimal."""
    obj = {"id": "T1", "currency": "EUR", **top, "elements": list(elements)}
    return Tariff.from_ocpi(ocpi_json.loads(json.dumps(obj)))


def component(kind: str, price: str, step: int = 1, vat: str | None = None) -> dict:
    c: dict[str, Any] = {"type": kind, "price": float(price), "step_size": step}
    if vat is not None:
        c["vat"] = float(vat)
    return c


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cdr(start: datetime, periods: list[tuple[float, dict[str, Any]]]) -> dict:
    """A CDR from (minutes, {DIMENSION: volume}) pieces laid end to end from `start`; volumes as given."""
    out_periods = []
    at = start
    for minutes, dims in periods:
        out_periods.append({"start_date_time": iso(at), "dimensions": [
            {"type": k, "volume": Decimal(str(v))} for k, v in dims.items()]})
        at += timedelta(minutes=minutes)
    return {"start_date_time": iso(start), "end_date_time": iso(at), "currency": "EUR",
            "charging_periods": out_periods}


def charging_cdr(start: datetime, charging_min: float, parking_min: float = 0, energy_kwh: float = 0,
                 **dims: Any) -> dict:
    """Charge for charging_min minutes (TIME, ENERGY and any extra dimensions), then park parking_min minutes."""
    pieces = [(charging_min, {"TIME": Decimal(str(charging_min)) / 60, "ENERGY": energy_kwh, **dims})]
    if parking_min:
        pieces.append((parking_min, {"PARKING_TIME": Decimal(str(parking_min)) / 60}))
    return cdr(start, pieces)


def usage(start: datetime, steps: list[tuple[float, float, bool]], power_w: float | None = None,
          end_after_min: float | None = None, **kw: Any) -> Usage:
    """A Usage from (minutes, kWh delivered in that stretch, charging) steps; one sample at each step start."""
    samples = []
    at, wh = start, Decimal(0)
    for minutes, kwh, charging in steps:
        samples.append(UsagePoint(at, wh, None if power_w is None else Decimal(str(power_w)), None, charging))
        at += timedelta(minutes=minutes)
        wh += Decimal(str(kwh)) * 1000
    samples.append(UsagePoint(at, wh, None, None, False))
    end = at if end_after_min is None else start + timedelta(minutes=end_after_min)
    return Usage(start, end, tuple(samples), **kw)


def cents(value: Decimal) -> Decimal:
    from decimal import ROUND_HALF_UP

    return value.quantize(CENT, rounding=ROUND_HALF_UP)
