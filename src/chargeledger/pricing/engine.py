"""The two ways to price: an OCPI CDR as its own periods say (`price_cdr`), or a ChargeLedger session's usage
(`price_usage`), which first cuts the session into charging periods at every change of active price component."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chargeledger.pricing.cdr_read import cdr_slices
from chargeledger.pricing.compiled import CompiledTariff, compile_tariff
from chargeledger.pricing.periods import usage_slices
from chargeledger.pricing.result import PricedSession
from chargeledger.pricing.tariff import Tariff
from chargeledger.pricing.totals import price_slices
from chargeledger.pricing.usage import Usage
from chargeledger.pricing.windows import to_us

_US_PER_HOUR = Decimal(3_600_000_000)


def zone_of(timezone: str | tzinfo) -> tzinfo:
    """An IANA zone name (the OCPI Location time_zone) or a tzinfo; an unknown name is refused."""
    if isinstance(timezone, tzinfo):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}: expected an IANA name such as Europe/Amsterdam") from None


def price_cdr(tariff: Tariff | CompiledTariff, cdr: dict[str, Any], timezone: str | tzinfo = "UTC") -> PricedSession:
    """Price an OCPI CDR (parsed with Decimal numbers) with its own charging periods and dimensions as quantities.

    Raises CdrError for periods that overlap, run backwards, lie outside the session or lack dimensions.
    """
    compiled = compile_tariff(tariff)
    slices, total_time_h = cdr_slices(compiled, cdr, zone_of(timezone))
    return price_slices(compiled.currency, slices, total_time_h, compiled.min_price, compiled.max_price)


def price_usage(tariff: Tariff | CompiledTariff, usage: Usage, timezone: str | tzinfo) -> PricedSession:
    """Price a ChargeLedger session from its samples; periods are built here (see periods.py).

    Pass a CompiledTariff (compile_tariff(t)) when pricing many sessions: it caches per local day.
    Raises UsageError for samples out of order or falling energy.
    """
    compiled = compile_tariff(tariff)
    slices = usage_slices(compiled, usage, zone_of(timezone))
    total_time_h = Decimal(to_us(usage.end) - to_us(usage.start)) / _US_PER_HOUR
    return price_slices(compiled.currency, slices, total_time_h, compiled.min_price, compiled.max_price)
