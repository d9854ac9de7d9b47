"""Invoice lines: the priced session's lines merged per tariff window, plus the operator's own fees.

Each line keeps the exact (unrounded) amount next to its invoice amount, rounded half-up to the minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..pricing import PricedSession
from .currency import ZERO, round_money
from .profile import BillingProfile

# Operator fee names for the OCPI CDR totals (seed 002 "Fee Details").
FEE_OF_TOTAL = {"total_fixed_cost": "connection_fee", "total_energy_cost": "session_fee",
                "total_time_cost": "session_fee", "total_parking_cost": "occupancy_fee",
                "total_reservation_cost": "reservation_fee"}
_UNITS = {"ENERGY": "kWh", "TIME": "h", "PARKING_TIME": "h", "FLAT": "×"}
_NAMES = {"ENERGY": "Energy", "TIME": "Charging time", "PARKING_TIME": "Parking time", "FLAT": "Start fee"}


@dataclass(frozen=True)
class InvoiceLine:
    section: str  # "tariff" (grouped by window), "fees" or "adjustments"
    group: str    # the tariff window label, e.g. "Off-peak 00:00–07:00"; the section name otherwise
    description: str
    fee: str | None  # connection_fee, session_fee, occupancy_fee, reservation_fee; None for adjustments
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal | None  # percent; None = no VAT
    exact: Decimal  # excl. VAT, full precision
    amount: Decimal  # excl. VAT, rounded to the minor unit


@dataclass(frozen=True)
class UsageFacts:
    """What settlement needs to know about the session besides its priced periods."""

    energy_kwh: Decimal
    charging_hours: Decimal
    charging_ended_at: datetime | None
    plug_ended_at: datetime | None
    reserved: bool = False


def tariff_lines(priced: PricedSession) -> list[InvoiceLine]:
    merged: dict[tuple, list] = {}
    for period in priced.periods:
        for line in period.lines:
            key = (line.label, line.dimension, line.cdr_total, line.unit_price, line.vat)
            slot = merged.setdefault(key, [ZERO, ZERO])
            slot[0] += line.billed_volume
            slot[1] += line.cost.excl_vat
    out = []
    for (label, dimension, cdr_total, unit_price, vat), (quantity, exact) in merged.items():
        name = _NAMES.get(dimension, dimension)
        if cdr_total == "total_reservation_cost":
            name = f"Reservation {name.lower()}"
        out.append(InvoiceLine("tariff", label, name, FEE_OF_TOTAL[cdr_total], quantity, _UNITS.get(dimension, ""),
                               unit_price, vat, exact, round_money(exact, priced.currency)))
    return out


def _vat_of(money) -> Decimal | None:
    if money.excl_vat == 0 or money.incl_vat == money.excl_vat:
        return None
    return ((money.incl_vat / money.excl_vat - 1) * 100).quantize(Decimal("0.01"))


def price_limit_lines(priced: PricedSession) -> list[InvoiceLine]:
    """min_price / max_price adjustments of the tariff (OCPI applies them to the session total)."""
    out = []
    for name, money in (("Minimum price", priced.min_price_adjustment), ("Maximum price", priced.max_price_adjustment)):
        if money.excl_vat != 0:
            out.append(InvoiceLine("adjustments", "Adjustments", name, None, Decimal(1), "×", money.excl_vat,
                                   _vat_of(money), money.excl_vat, round_money(money.excl_vat, priced.currency)))
    return out


def occupancy_hours(facts: UsageFacts, grace_minutes: int) -> Decimal:
    """Idle time after charging ended, less the grace period (never negative)."""
    if facts.charging_ended_at is None or facts.plug_ended_at is None:
        return ZERO
    idle = facts.plug_ended_at - facts.charging_ended_at - timedelta(minutes=grace_minutes)
    return max(ZERO, Decimal(str(idle.total_seconds())) / Decimal(3600))


def profile_fee_lines(profile: BillingProfile, facts: UsageFacts, currency: str) -> list[InvoiceLine]:
    """The operator's fees from the billing profile, on top of the tariff."""
    wanted = [
        ("Connection fee", "connection_fee", Decimal(1), "×", profile.connection_fee),
        ("Session fee (energy)", "session_fee", facts.energy_kwh, "kWh", profile.session_per_kwh),
        ("Session fee (time)", "session_fee", facts.charging_hours, "h", profile.session_per_hour),
        (f"Occupancy fee (after {profile.occupancy_grace_minutes} min grace)", "occupancy_fee",
         occupancy_hours(facts, profile.occupancy_grace_minutes), "h", profile.occupancy_per_hour),
        ("Reservation fee", "reservation_fee", Decimal(1 if facts.reserved else 0), "×", profile.reservation_fee),
    ]
    out = []
    for description, fee, quantity, unit, price in wanted:
        if price and quantity:
            exact = quantity * price
            out.append(InvoiceLine("fees", "Fees", description, fee, quantity, unit, price, profile.fees_vat,
                                   exact, round_money(exact, currency)))
    return out
