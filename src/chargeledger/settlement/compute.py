"""Settling a priced session: discounts, taxes, split billing, cost, fees, revenue, settlement currency.

Pure: everything it needs comes in as arguments, so the arithmetic is tested without a database.
Identities it keeps, to the minor unit: sum(line amounts) = subtotal; subtotal + tax = payment total (exclusive
taxes) or subtotal = payment total (inclusive); revenue = payment total - tax - gateway fee - platform fee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..pricing import PricedSession
from .currency import ZERO, allocate, round_money
from .lines import InvoiceLine, UsageFacts, price_limit_lines, profile_fee_lines, tariff_lines
from .profile import BillingProfile

HUNDRED = Decimal(100)
FEES = ("connection_fee", "session_fee", "occupancy_fee", "reservation_fee")


@dataclass(frozen=True)
class SettlementContext:
    """Facts about who pays and where, looked up by the caller at settlement time."""

    prices_include_tax: bool = False
    own_session: bool = True           # recorded by our chargers (not a partner's CDR)
    cancelled: bool = False            # ended before any energy
    team_kwh_price_cap: Decimal | None = None
    membership_plan: str | None = None  # the driver's plan; the profile's discount applies when it matches
    promotion_code: str | None = None   # entered by the driver when charging
    exchange_rate: Decimal | None = None  # tariff currency -> profile.settlement_currency, fixed now
    electricity_cost: Decimal | None = None  # exact, from electricity.py


@dataclass(frozen=True)
class Settlement:
    currency: str
    lines: tuple[InvoiceLine, ...]
    amounts: dict[str, Any]  # columns of session_settlements (money rounded to the minor unit)
    waived: str | None = None  # the settlement decision, when the operator policy waived the price
    bill_details: dict[str, Any] | None = None
    split_billing: dict[str, Any] | None = None
    vat_groups: list[dict[str, Any]] = field(default_factory=list)


def _discount_lines(profile: BillingProfile, ctx: SettlementContext, before: Decimal, currency: str
                    ) -> list[InvoiceLine]:
    out = []
    remaining = before
    if profile.membership_percent and ctx.membership_plan and ctx.membership_plan == profile.membership_plan:
        cut = min(remaining, round_money(before * profile.membership_percent / HUNDRED, currency))
        out.append(InvoiceLine("adjustments", "Adjustments", f"Membership discount {profile.membership_percent}% "
                               f"({profile.membership_name or profile.membership_plan})", "membership_discount",
                               Decimal(1), "×", -cut, None, -cut, -cut))
        remaining -= cut
    if profile.promotion_code and ctx.promotion_code and ctx.promotion_code == profile.promotion_code:
        if profile.promotion_percent:
            cut = round_money(remaining * profile.promotion_percent / HUNDRED, currency)
            label = f"Promotion code {profile.promotion_code} ({profile.promotion_percent}%)"
        else:
            cut = round_money(profile.promotion_amount, currency)
            label = f"Promotion code {profile.promotion_code}"
        cut = min(cut, remaining)  # a discount never makes the price negative
        out.append(InvoiceLine("adjustments", "Adjustments", label, "code_discount", Decimal(1), "×", -cut, None,
                               -cut, -cut))
    return out


def _vat_groups(lines: list[InvoiceLine], subtotal: Decimal, currency: str) -> list[dict[str, Any]]:
    """VAT per rate on the rounded net; discounts are shared over the rates in proportion to their net."""
    nets: dict[Decimal | None, Decimal] = {}
    for line in lines:
        if line.fee in FEES or line.section == "tariff" or line.description in ("Minimum price", "Maximum price"):
            nets[line.vat_rate] = nets.get(line.vat_rate, ZERO) + line.amount
    rates = list(nets)
    shares = allocate(subtotal, [max(nets[r], ZERO) for r in rates], currency) if rates else []
    groups = []
    for rate, net in zip(rates, shares):
        vat = round_money(net * rate / HUNDRED, currency) if rate is not None else ZERO
        groups.append({"rate": rate, "net": net, "vat": vat})
    return groups


def settle(priced: PricedSession, facts: UsageFacts, profile: BillingProfile, ctx: SettlementContext) -> Settlement:
    cur = priced.currency
    lines = tariff_lines(priced) + profile_fee_lines(profile, facts, cur) + price_limit_lines(priced)
    before = sum((line.amount for line in lines), ZERO)
    before = max(before, ZERO)
    waived = None
    if ctx.own_session and ctx.cancelled and profile.waive_cancelled and before:
        waived = "waived: the session ended before any energy was delivered (operator policy)"
        lines.append(InvoiceLine("adjustments", "Adjustments", "Waived: no energy delivered", "waiver", Decimal(1),
                                 "×", -before, None, -before, -before))
    else:
        lines += _discount_lines(profile, ctx, before, cur)
    subtotal = sum((line.amount for line in lines), ZERO)
    fee = {name: sum((l.amount for l in lines if l.fee == name), ZERO) for name in FEES}
    kwh = facts.energy_kwh

    groups, taxes = _vat_groups(lines, subtotal, cur), []
    excise = round_money(kwh * profile.excise_per_kwh, cur) if subtotal else ZERO
    inclusive = bool(profile.taxes) and ctx.prices_include_tax
    if profile.taxes:  # the profile's jurisdictions replace the tariff's VAT
        rates = [t.rate for t in profile.taxes]
        if inclusive:
            excise = min(excise, subtotal)
            taxable = subtotal - excise
            net = round_money(taxable / (1 + sum(rates, ZERO) / HUNDRED), cur)
            amounts = allocate(taxable - net, rates, cur)
        else:
            amounts = [round_money(subtotal * r / HUNDRED, cur) for r in rates]
        taxes = [{"jurisdiction": t.jurisdiction, "name": t.name, "rate": t.rate, "amount": a}
                 for t, a in zip(profile.taxes, amounts)]
        groups = [{"rate": None, "net": subtotal, "vat": ZERO}]
    else:
        taxes = [{"jurisdiction": "VAT", "name": f"VAT {g['rate']}%", "rate": g["rate"], "amount": g["vat"]}
                 for g in groups if g["rate"] is not None]
    total_tax = sum((t["amount"] for t in taxes), ZERO) + excise
    payment_total = subtotal if inclusive else subtotal + total_tax

    cost = round_money((ctx.electricity_cost or ZERO) + (profile.cost_fixed if kwh else ZERO), cur)
    earned = payment_total - total_tax
    margin = earned - cost
    gateway_fee = (round_money(payment_total * profile.gateway_percent / HUNDRED + profile.gateway_fixed, cur)
                   if payment_total > 0 else ZERO)
    platform_fee = round_money(kwh * profile.platform_fee_per_kwh, cur)
    revenue = payment_total - total_tax - gateway_fee - platform_fee

    settle_cur = profile.settlement_currency or cur
    rate = ctx.exchange_rate if settle_cur != cur else Decimal(1)
    rate = rate or Decimal(1)
    vat_rates = {g["rate"] for g in groups if g["rate"] is not None}
    membership = next((l for l in lines if l.fee == "membership_discount"), None)
    code = next((l for l in lines if l.fee == "code_discount"), None)
    totals = priced.totals
    amounts = {
        "currency": cur,
        "total_energy_kwh": totals.total_energy, "total_time_hours": totals.total_time,
        "total_parking_time_hours": totals.total_parking_time,
        **{f"{name}_{part}": getattr(getattr(totals, name), part)
           for name in ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost",
                        "total_parking_cost", "total_reservation_cost") for part in ("excl_vat", "incl_vat")},
        **fee,
        "amount_before_discount": before,
        "membership_discount": -membership.amount if membership else ZERO,
        "code_discount": -code.amount if code else ZERO,
        "discount_plan": profile.membership_plan if membership else (profile.promotion_code if code else None),
        "discount_plan_name": (profile.membership_name if membership else None),
        "subtotal": subtotal, "taxes_inclusive": inclusive,
        "taxes": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in t.items()} for t in taxes],
        "excise_tax": excise, "total_tax": total_tax,
        "vat_rate": next(iter(vat_rates)) if len(vat_rates) == 1 else None,
        "payment_total": payment_total,
        "electricity_cost": cost, "margin": margin,
        "gateway_fee": gateway_fee, "platform_fee": platform_fee, "revenue": revenue,
        "settlement_currency": settle_cur, "exchange_rate": rate,
        "gateway_fee_settlement": round_money(gateway_fee * rate, settle_cur),
        "platform_fee_settlement": round_money(platform_fee * rate, settle_cur),
        "revenue_settlement": round_money(revenue * rate, settle_cur),
    }
    split = _split(ctx.team_kwh_price_cap, kwh, subtotal, payment_total, cur)
    details = _bill_details(profile, amounts, kwh, margin, earned, taxes, waived) if profile.detailed else None
    return Settlement(cur, tuple(lines), amounts, waived, details, split, groups)


def _split(cap: Decimal | None, kwh: Decimal, subtotal: Decimal, payment_total: Decimal, cur: str
           ) -> dict[str, Any] | None:
    """A team pays up to its kWh price cap; the driver pays the rest (shares of the payment total)."""
    if cap is None or kwh <= 0 or subtotal <= 0:
        return None
    effective = subtotal / kwh
    covered = min(effective, cap)
    team_net = min(subtotal, round_money(covered * kwh, cur))
    team_share, driver = allocate(payment_total, [team_net, subtotal - team_net], cur)
    return {"kwh_price_cap": str(cap), "effective_rate": str(effective.quantize(Decimal("0.0001"))),
            "covered_rate": str(covered.quantize(Decimal("0.0001"))), "team_share": str(team_share),
            "driver_contribution": str(driver)}


def _bill_details(profile: BillingProfile, a: dict[str, Any], kwh: Decimal, margin: Decimal, earned: Decimal,
                  taxes: list[dict], waived: str | None) -> dict[str, Any]:
    """The detailed bill object of a station with a billing profile (seed 001 "bill details")."""
    def s(v):
        return None if v is None else str(v)
    return {
        "fees": {name: s(a[name]) for name in FEES},
        "amount_before_discount": s(a["amount_before_discount"]),
        "discounts": {"membership": s(a["membership_discount"]), "code": s(a["code_discount"]),
                      "plan": a["discount_plan"], "plan_name": a["discount_plan_name"]},
        "subtotal": s(a["subtotal"]),
        "taxes": {"inclusive": a["taxes_inclusive"], "lines": a["taxes"], "excise": s(a["excise_tax"]),
                  "total": s(a["total_tax"])},
        "payment_total": s(a["payment_total"]),
        "cost": {"electricity": s(a["electricity_cost"]), "source": profile.cost.kind},
        "margin": {"absolute": s(margin),
                   "percent": s((margin / earned * HUNDRED).quantize(Decimal("0.01"))) if earned else None,
                   "per_kwh": s((margin / kwh).quantize(Decimal("0.0001"))) if kwh else None},
        "gateway_fee": s(a["gateway_fee"]), "platform_fee": s(a["platform_fee"]), "revenue": s(a["revenue"]),
        "settlement": {"currency": a["settlement_currency"], "exchange_rate": s(a["exchange_rate"]),
                       "gateway_fee": s(a["gateway_fee_settlement"]),
                       "platform_fee": s(a["platform_fee_settlement"]), "revenue": s(a["revenue_settlement"])},
        "decision": waived,
    }
