"""A station's billing profile (stations.billing_profile JSON): the operator-side money rules beyond the tariff.

Shape (every key optional; money as strings, rates as percent strings):

    {
      "fees": {"connection": "1.00",                      # flat, once per session
               "session_per_kwh": "0.05", "session_per_hour": "0.50",   # energy- or time-based session fee
               "occupancy_per_hour": "6.00", "occupancy_grace_minutes": 15,  # idle after charging ended
               "reservation": "0.50", "vat": "21"},        # VAT percent on these fees (absent = no VAT)
      "membership": {"plan": "GOLD", "name": "Gold members", "percent": "10"},
      "promotion": {"code": "SPRING24", "percent": "5"}  |  {"code": "WELCOME", "amount": "2.00"},
      "taxes": [{"jurisdiction": "State", "name": "Massachusetts", "rate": "6.25"}, ...],   # replace OCPI VAT
      "excise_per_kwh": "0.01",
      "cost": {"kind": "flat", "per_kwh": "0.20"}
            | {"kind": "time_of_use", "default_per_kwh": "0.15",
               "windows": [{"from": "07:00", "to": "23:00", "per_kwh": "0.30"}]}
            | {"kind": "hourly", "market": "NL-day-ahead", "markup_per_kwh": "0.02"},
      "cost_fixed": "0.10",                                # grid/service cost per session
      "gateway_fee": {"percent": "2.9", "fixed": "0.30"},
      "platform_fee_per_kwh": "0.02",
      "settlement_currency": "USD",                        # rate from the exchange_rates table at settlement
      "waive_cancelled": true                              # operator policy: our sessions without energy are free
    }

A station without a profile (or with `{}`) has a simple price: its settlement carries no bill details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from ..pricing.currencies import ISO_4217_CODES

ZERO = Decimal(0)
COST_KINDS = ("flat", "time_of_use", "hourly")


class ProfileError(ValueError):
    """A billing profile that cannot be used; `problems` lists (field_path, reason)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {r}" for p, r in problems))


@dataclass(frozen=True)
class TaxRule:
    jurisdiction: str
    name: str
    rate: Decimal  # percent


@dataclass(frozen=True)
class TouWindow:
    start: time
    end: time  # end <= start means the window crosses midnight
    per_kwh: Decimal


@dataclass(frozen=True)
class CostSource:
    kind: str = "flat"
    per_kwh: Decimal = ZERO
    default_per_kwh: Decimal = ZERO
    windows: tuple[TouWindow, ...] = ()
    market: str | None = None
    markup_per_kwh: Decimal = ZERO


@dataclass(frozen=True)
class BillingProfile:
    connection_fee: Decimal = ZERO
    session_per_kwh: Decimal = ZERO
    session_per_hour: Decimal = ZERO
    occupancy_per_hour: Decimal = ZERO
    occupancy_grace_minutes: int = 0
    reservation_fee: Decimal = ZERO
    fees_vat: Decimal | None = None
    membership_plan: str | None = None
    membership_name: str | None = None
    membership_percent: Decimal = ZERO
    promotion_code: str | None = None
    promotion_percent: Decimal = ZERO
    promotion_amount: Decimal = ZERO
    taxes: tuple[TaxRule, ...] = ()
    excise_per_kwh: Decimal = ZERO
    cost: CostSource = field(default_factory=CostSource)
    cost_fixed: Decimal = ZERO
    gateway_percent: Decimal = ZERO
    gateway_fixed: Decimal = ZERO
    platform_fee_per_kwh: Decimal = ZERO
    settlement_currency: str | None = None
    waive_cancelled: bool = True
    detailed: bool = False  # True when the station has a profile: its settlement carries bill details


SIMPLE = BillingProfile()


class _Reader:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def money(self, obj: dict, key: str, path: str, *, percent: bool = False) -> Decimal:
        raw = obj.get(key)
        if raw is None:
            return ZERO
        if isinstance(raw, float) or isinstance(raw, bool):
            self.problems.append((path + key, "write amounts as strings such as \"0.25\" (no binary floats)"))
            return ZERO
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            self.problems.append((path + key, f"{raw!r} is not a number"))
            return ZERO
        if not value.is_finite() or value < 0:
            self.problems.append((path + key, "must be a number >= 0"))
            return ZERO
        if percent and value > 100:
            self.problems.append((path + key, "is a percentage: at most 100"))
        return value

    def obj(self, raw: Any, path: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problems.append((path, "must be an object"))
            return {}
        return raw

    def clock(self, raw: Any, path: str) -> time:
        try:
            hours, minutes = str(raw).split(":")
            return time(int(hours), int(minutes))
        except (ValueError, TypeError):
            self.problems.append((path, f"{raw!r} is not a time of day HH:MM"))
            return time(0)


def parse_profile(raw: Any) -> BillingProfile:
    """The profile from stations.billing_profile; None or {} is a simple price. Raises ProfileError."""
    if raw is None or raw == {}:
        return SIMPLE
    r = _Reader()
    top = r.obj(raw, "$")
    fees = r.obj(top.get("fees"), "fees")
    member = r.obj(top.get("membership"), "membership")
    promo = r.obj(top.get("promotion"), "promotion")
    gateway = r.obj(top.get("gateway_fee"), "gateway_fee")
    grace = fees.get("occupancy_grace_minutes", 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        r.problems.append(("fees.occupancy_grace_minutes", "must be a whole number of minutes >= 0"))
        grace = 0
    if promo.get("percent") is not None and promo.get("amount") is not None:
        r.problems.append(("promotion", "a promotion code is a percentage or an amount, not both"))
    taxes = []
    raw_taxes = top.get("taxes") or []
    if not isinstance(raw_taxes, list):
        r.problems.append(("taxes", "must be a list of {jurisdiction, name, rate}"))
        raw_taxes = []
    for i, tax in enumerate(raw_taxes):
        tax = r.obj(tax, f"taxes[{i}]")
        taxes.append(TaxRule(str(tax.get("jurisdiction") or "Tax"), str(tax.get("name") or tax.get("jurisdiction")
                                                                        or "Tax"),
                             r.money(tax, "rate", f"taxes[{i}].", percent=True)))
    currency = top.get("settlement_currency")
    if currency is not None and currency not in ISO_4217_CODES:
        r.problems.append(("settlement_currency", f"{currency!r} is not an ISO 4217 currency code"))
    fees_vat = r.money(fees, "vat", "fees.", percent=True) if fees.get("vat") is not None else None
    profile = BillingProfile(
        connection_fee=r.money(fees, "connection", "fees."),
        session_per_kwh=r.money(fees, "session_per_kwh", "fees."),
        session_per_hour=r.money(fees, "session_per_hour", "fees."),
        occupancy_per_hour=r.money(fees, "occupancy_per_hour", "fees."),
        occupancy_grace_minutes=grace,
        reservation_fee=r.money(fees, "reservation", "fees."),
        fees_vat=fees_vat,
        membership_plan=member.get("plan"), membership_name=member.get("name"),
        membership_percent=r.money(member, "percent", "membership.", percent=True),
        promotion_code=promo.get("code"),
        promotion_percent=r.money(promo, "percent", "promotion.", percent=True),
        promotion_amount=r.money(promo, "amount", "promotion."),
        taxes=tuple(taxes),
        excise_per_kwh=r.money(top, "excise_per_kwh", ""),
        cost=_cost(r, r.obj(top.get("cost"), "cost")),
        cost_fixed=r.money(top, "cost_fixed", ""),
        gateway_percent=r.money(gateway, "percent", "gateway_fee.", percent=True),
        gateway_fixed=r.money(gateway, "fixed", "gateway_fee."),
        platform_fee_per_kwh=r.money(top, "platform_fee_per_kwh", ""),
        settlement_currency=currency,
        waive_cancelled=bool(top.get("waive_cancelled", True)),
        detailed=True,
    )
    if r.problems:
        raise ProfileError(r.problems)
    return profile


def _cost(r: _Reader, raw: dict) -> CostSource:
    if not raw:
        return CostSource()
    kind = raw.get("kind", "flat")
    if kind not in COST_KINDS:
        r.problems.append(("cost.kind", f"{kind!r}: choose from {', '.join(COST_KINDS)}"))
        return CostSource()
    windows = []
    for i, w in enumerate(raw.get("windows") or []):
        w = r.obj(w, f"cost.windows[{i}]")
        windows.append(TouWindow(r.clock(w.get("from"), f"cost.windows[{i}].from"),
                                 r.clock(w.get("to"), f"cost.windows[{i}].to"),
                                 r.money(w, "per_kwh", f"cost.windows[{i}].")))
    if kind == "hourly" and not raw.get("market"):
        r.problems.append(("cost.market", "an hourly cost needs the market whose prices are stored"))
    return CostSource(kind, r.money(raw, "per_kwh", "cost."), r.money(raw, "default_per_kwh", "cost."),
                      tuple(windows), raw.get("market"), r.money(raw, "markup_per_kwh", "cost."))
