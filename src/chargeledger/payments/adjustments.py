"""Carrying a re-priced session's difference to its payment: an extra capture, a refund, or a new amount due.

A re-pricing (an operator's correction, or facts that arrived after settlement) writes settlement version n+1;
the payment still holds version n's total. The difference is moved once per version (the key names it), in the
payment's own terms: a card or wallet is captured again for the extra or refunded the excess (as far as it is still
refundable: a goodwill refund already given is not taken back); a post-paid account or roaming invoice owes the new
total; a prepaid plan's balance is charged the new total. Each move is a `payment_adjusted` ledger entry written
with it, so the session's money history shows it as such.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from ..domain.events import EventKind, EventSource
from ..ledger.store import Ledger, NewEvent
from ..settlement.currency import round_money
from ..storage.locks import locked_row
from ..storage.tables import payment_attempts, payments, session_events
from .gateway import DEFAULT_GATEWAY, PaymentGateway
from .reasons import PaymentMethod
from .refunds import RefundRefused, refund

_CARDS = {PaymentMethod.CARD.value, PaymentMethod.WALLET.value}


def adjust_payment(engine: Engine, session_id: int, old_total: Decimal, new_total: Decimal, *, key: str,
                   gateway: PaymentGateway = DEFAULT_GATEWAY, now: datetime | None = None,
                   old_team: Decimal = Decimal(0), new_team: Decimal = Decimal(0)) -> dict[str, Any] | None:
    """Move the difference between two settled totals to the session's payment, once per `key`. With split
    billing (`old_team`/`new_team`: the team's shares) the driver's card moves only the driver's difference;
    the team's difference changes what the team owes."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        payment = conn.execute(select(payments).where(payments.c.session_id == session_id)
                               .order_by(payments.c.id).limit(1)).first()
        done = conn.execute(select(session_events.c.payload).where(
            session_events.c.idempotency_key == f"adjust:{key}")).first()
    if payment is None or done is not None:
        return None  # no payment yet (it will be taken at the new total), or this difference already moved
    currency = payment.currency
    team = round_money(Decimal(new_team) - Decimal(old_team), currency)
    delta = round_money(Decimal(new_total) - Decimal(new_team) - (Decimal(old_total) - Decimal(old_team)), currency)
    if delta == 0 and team == 0:
        return None
    outcome: dict[str, Any] = {"from": str(old_total), "to": str(new_total), "difference": str(delta)}
    if team:
        outcome["team_difference"] = str(team)
    moved = {"amount_due": Decimal(payment.amount_due) + team,
                    "unsettled_amount": Decimal(payment.unsettled_amount) + team}
    if payment.method in _CARDS and payment.status not in ("failed", "pending") and delta < 0:
        outcome.update(_refund_excess(engine, session_id, -delta, currency, key))
        # what could not be refunded (refused, or given back already) is kept above the new price: it stays
        # unsettled, negative, so the payment's taken amount (price − unsettled) is what it really took
        kept = -delta - Decimal(outcome.get("refunded") or 0)
        if kept:
            outcome["not_refunded"] = str(kept)
            moved["unsettled_amount"] -= kept
        return _record(engine, session_id, payment.id, (moved, None) if team or kept else None, outcome,
                       key, now)
    values: dict[str, Any] = {"amount_due": Decimal(payment.amount_due) + delta}
    if delta == 0:  # only the team's share changed
        outcome.update(move="team share changed")
        return _record(engine, session_id, payment.id, (moved, None), outcome, key, now)
    if payment.method in _CARDS and payment.status not in ("failed", "pending"):
        result = gateway.capture(payment.id, delta, currency, payment.card_last4, attempt=1000 + _version(key))
        outcome.update(move="extra capture", captured=result.ok,
                       failure_reason=result.reason.value if result.reason else None)
        if result.ok:
            values["amount_captured"] = Decimal(payment.amount_captured) + delta
        else:
            values["unsettled_amount"] = Decimal(payment.unsettled_amount) + delta
        attempt = {"payment_id": payment.id, "at": now, "amount": delta,
                   "outcome": "captured" if result.ok else "failed",
                   "failure_reason": result.reason.value if result.reason else None}
    elif payment.method == PaymentMethod.PREPAID.value:
        outcome.update(move="prepaid balance charged" if delta > 0 else "prepaid balance credited")
        values["amount_captured"] = Decimal(payment.amount_captured) + delta
        attempt = None
    else:  # invoiced later, or a payment that failed: what is owed changes
        outcome.update(move="amount due changed")
        values["unsettled_amount"] = Decimal(payment.unsettled_amount) + delta
        attempt = None
    if team:
        values["amount_due"] += team
        values["unsettled_amount"] = values.get("unsettled_amount", Decimal(payment.unsettled_amount)) + team
    return _record(engine, session_id, payment.id, (values, attempt), outcome, key, now)


def _version(key: str) -> int:
    digits = "".join(ch for ch in key.rsplit("v", 1)[-1] if ch.isdigit())
    return int(digits or 0)


def _refund_excess(engine: Engine, session_id: int, excess: Decimal, currency: str, key: str) -> dict[str, Any]:
    with engine.connect() as conn:
        payment = conn.execute(select(payments).where(payments.c.session_id == session_id)).first()
    from .store import payments_of
    refundable = Decimal(payments_of(engine, session_id)[0]["refundable"])
    amount = min(excess, refundable)
    if amount <= 0:
        return {"move": "nothing left to refund", "refunded": "0"}
    try:
        made, _ = refund(engine, session_id, str(amount), payment.currency, "re-priced", f"adjust:{key}", "system")
    except RefundRefused as refused:
        return {"move": "refund refused", "failure_reason": refused.reason}
    return {"move": "refund", "refunded": made["amount"], "refund_id": made["id"]}


def _record(engine: Engine, session_id: int, payment_id: int, change, outcome: dict[str, Any], key: str,
            now: datetime) -> dict[str, Any]:
    with engine.begin() as conn:
        locked_row(conn, payments, payments.c.id == payment_id)
        if conn.execute(select(session_events.c.id).where(
                session_events.c.idempotency_key == f"adjust:{key}")).first() is not None:
            return outcome  # a concurrent run moved it first
        if change is not None:
            values, attempt = change
            conn.execute(update(payments).where(payments.c.id == payment_id).values(**values))
            if attempt is not None:
                conn.execute(payment_attempts.insert().values(**attempt))
        Ledger(engine).append(session_id, [NewEvent(EventKind.PAYMENT_ADJUSTED, now, EventSource.SYSTEM,
                                                    {"payment_id": payment_id, **outcome},
                                                    idempotency_key=f"adjust:{key}")], conn)
    return outcome
