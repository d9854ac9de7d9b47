"""The running price of a live session: what its settlement would charge if it ended now.

The same pricing the settled session will use (store.compute_settlement: frozen tariff, then the billing profile's
fees, discounts and taxes), computed on demand; nothing is stored until the session ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from .store import compute_settlement


def running_price(engine: Engine, session_id: int, now: datetime) -> dict[str, str] | None:
    """{"amount", "currency"}: the payment total so far, or None when there is no usage yet."""
    computed = compute_settlement(engine, session_id, now)
    if computed is None:
        return None
    return {"amount": str(computed.result.amounts["payment_total"]), "currency": computed.result.currency}
