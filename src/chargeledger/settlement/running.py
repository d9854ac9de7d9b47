"""The running price of a live session: its frozen tariff applied to its usage up to now, as if it ended now.

Nothing is stored: the settlement (fees, discounts, taxes of the billing profile) is made when the session ends.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from ..ledger.store import Ledger
from ..pricing import Tariff, price_usage
from ..storage.tables import organisations, sessions, sites, stations
from ..tariffs.store import _from_store
from .currency import round_money
from .store import _free_tariff, freeze_tariff
from .usage import usage_of


def running_price(engine: Engine, session_id: int, now: datetime) -> dict[str, str] | None:
    """{"amount", "currency"} incl. VAT of the tariff so far, or None when there is no usage yet."""
    from ..pricing.engine import zone_of

    view = Ledger(engine).project(session_id, now=now)
    usage = usage_of(view)
    if usage is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(sessions.c.organisation_id, sessions.c.station_id)
                           .where(sessions.c.id == session_id)).first()
        zone = conn.execute(select(sites.c.time_zone)
                            .select_from(stations.join(sites, sites.c.id == stations.c.site_id))
                            .where(stations.c.id == row.station_id)).scalar()
        currency = conn.execute(select(organisations.c.currency)
                                .where(organisations.c.id == row.organisation_id)).scalar()
    frozen = freeze_tariff(engine, session_id, now=now)  # frozen at the start already; a no-op then
    tariff = Tariff.from_ocpi(_from_store(frozen["ocpi"])) if frozen else _free_tariff(currency)
    priced = price_usage(tariff, usage, zone_of(zone or "UTC"))
    amount = round_money(Decimal(priced.totals.total_cost.incl_vat), priced.currency)
    return {"amount": str(amount), "currency": priced.currency}
