"""Rates the operator supplies (no live feeds): exchange rates, and hourly energy prices per market.

An exchange rate is fixed onto the settlement when the session is settled; a later rate never changes it.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Engine, select

from ..storage.tables import energy_prices, exchange_rates
from ..storage.upsert import insert_ignore


class RateError(ValueError):
    pass


def set_exchange_rate(engine: Engine, organisation_id: str, from_currency: str, to_currency: str, rate: Decimal,
                      valid_from: datetime) -> None:
    if not isinstance(rate, Decimal) or rate <= 0:
        raise RateError("rate must be a Decimal > 0")
    with engine.begin() as conn:
        conn.execute(exchange_rates.insert().values(organisation_id=organisation_id, from_currency=from_currency,
                                                    to_currency=to_currency, rate=rate, valid_from=valid_from))


def exchange_rate_at(engine: Engine, organisation_id: str, from_currency: str, to_currency: str, at: datetime
                     ) -> Decimal | None:
    if from_currency == to_currency:
        return Decimal(1)
    with engine.connect() as conn:
        return conn.execute(
            select(exchange_rates.c.rate).where(
                exchange_rates.c.organisation_id == organisation_id, exchange_rates.c.from_currency == from_currency,
                exchange_rates.c.to_currency == to_currency, exchange_rates.c.valid_from <= at)
            .order_by(exchange_rates.c.valid_from.desc()).limit(1)).scalar()


def _utc_hour(text: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):  # the file switches format in 2025
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise RateError(f"{text!r} is not a time as 2024-01-31 13:00:00 or 31/01/2024 13:00")


def load_day_ahead_csv(engine: Engine, market: str, path: Path) -> int:
    """Load hourly prices (columns `Datetime (UTC)` and `Price (EUR/MWhe)`) as per-kWh prices; resends add nothing.

    Returns how many rows were read; a bad row is refused with its line number and nothing is stored.
    """
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for number, record in enumerate(csv.DictReader(handle), start=2):
            try:
                price = Decimal(record["Price (EUR/MWhe)"]) / 1000
                rows.append({"market": market, "hour": _utc_hour(record["Datetime (UTC)"]), "price_per_kwh": price})
            except (KeyError, InvalidOperation, RateError) as exc:
                raise RateError(f"{path.name} line {number}: {exc}") from None
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert_ignore(conn, energy_prices), rows[start:start + 5000])
    return len(rows)


def hourly_prices(engine: Engine, market: str, start: datetime, end: datetime) -> dict[datetime, Decimal]:
    with engine.connect() as conn:
        rows = conn.execute(select(energy_prices.c.hour, energy_prices.c.price_per_kwh).where(
            energy_prices.c.market == market, energy_prices.c.hour >= start.replace(minute=0, second=0, microsecond=0),
            energy_prices.c.hour <= end))
        return {hour: Decimal(price) for hour, price in rows}
