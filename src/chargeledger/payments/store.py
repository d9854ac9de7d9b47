"""Payment records: capture with attempts at settlement, and refunds against the captured payment.

A refund is never above what was captured minus earlier refunds, and is idempotent under the client's key: the same
key with the same request returns the first result; the same key with another request is a conflict.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.events import EventKind, EventSource
from ..ledger.store import Ledger, NewEvent
from ..settlement.currency import minor_unit, round_money
from ..storage.tables import payment_attempts, payments, refunds
from .gateway import DEFAULT_GATEWAY, PaymentGateway
from .reasons import PaymentMethod

MAX_ATTEMPTS = 3
# payments.status is String(16): "partly_refunded" stands for partially refunded.
ZERO = Decimal(0)


class RefundRefused(ValueError):
    """A refund that cannot be made; nothing was changed. `status` is the HTTP status that says why."""

    def __init__(self, reason: str, status: int = 422):
        self.reason, self.status = reason, status
        super().__init__(reason)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _money(value: Any, currency: str) -> Decimal:
    return round_money(Decimal(value or 0), currency)


def charge_session(engine: Engine, session_id: int, amount: Decimal, currency: str,
                   method: PaymentMethod | str = PaymentMethod.CARD, card_last4: str | None = None,
                   preauth_amount: Decimal | None = None, prepaid_plan: str | None = None,
                   gateway: PaymentGateway = DEFAULT_GATEWAY, now: datetime | None = None) -> dict[str, Any]:
    """Take payment for a settled session once (a second call returns the existing payment)."""
    method = PaymentMethod(method)
    now = now or _now()
    existing = payments_of(engine, session_id)
    if existing:
        return existing[0]
    if amount == 0:
        method = PaymentMethod.FREE
    gateway_name = {PaymentMethod.CARD: gateway.name, PaymentMethod.WALLET: gateway.name,
                    PaymentMethod.PREPAID: "prepaid plan", PaymentMethod.FREE: "none"}.get(method, "invoice")
    with engine.begin() as conn:
        payment_id = conn.execute(payments.insert().values(
            session_id=session_id, method=method.value, gateway=gateway_name, card_last4=card_last4,
            preauth_amount=preauth_amount, prepaid_plan=prepaid_plan, currency=currency, amount_due=amount,
            amount_captured=ZERO, failed_amount=ZERO, unsettled_amount=ZERO, status="pending", created_at=now,
        )).inserted_primary_key[0]
    values: dict[str, Any]
    if method in (PaymentMethod.CARD, PaymentMethod.WALLET):
        values = _capture(engine, gateway, payment_id, amount, currency, card_last4, now)
    elif method in (PaymentMethod.RFID_ACCOUNT, PaymentMethod.ROAMING_INVOICE):
        values = {"status": "invoiced", "unsettled_amount": amount}  # post-pay: settled later by invoice
    else:  # prepaid plan balance or free
        values = {"status": "captured", "amount_captured": amount}
    with engine.begin() as conn:
        conn.execute(update(payments).where(payments.c.id == payment_id).values(**values))
    record = payments_of(engine, session_id)[0]
    Ledger(engine).append(session_id, [NewEvent(
        EventKind.PAYMENT_RECORDED, now, EventSource.SYSTEM,
        {"payment_id": payment_id, "method": method.value, "status": record["status"],
         "amount_captured": record["amount_captured"], "failure_reason": record["failure_reason"]},
        idempotency_key=f"payment:{payment_id}")])
    return record


def _capture(engine, gateway, payment_id, amount, currency, card_last4, now) -> dict[str, Any]:
    """Up to MAX_ATTEMPTS captures while the gateway answers with a retryable error."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = gateway.capture(payment_id, amount, currency, card_last4, attempt)
        with engine.begin() as conn:
            conn.execute(payment_attempts.insert().values(
                payment_id=payment_id, at=now, amount=amount, outcome="captured" if result.ok else "failed",
                failure_reason=result.reason.value if result.reason else None))
        if result.ok:
            return {"status": "captured", "amount_captured": amount, "gateway_reference": result.reference}
        if not result.reason.retryable:
            break
    return {"status": "failed", "failed_amount": amount, "failure_reason": result.reason.value,
            "unsettled_amount": amount}


def _refund_json(row) -> dict[str, Any]:
    return {"id": row.id, "payment_id": row.payment_id, "amount": str(_money(row.amount, row.currency)),
            "currency": row.currency, "reason": row.reason, "status": row.status,
            "requested_by": row.requested_by, "created_at": row.created_at.isoformat()}


def payments_of(engine: Engine, session_id: int) -> list[dict[str, Any]]:
    """The session's payments, each with its attempts, refunds and refundable amount (money as strings)."""
    with engine.connect() as conn:
        rows = conn.execute(select(payments).where(payments.c.session_id == session_id).order_by(payments.c.id)).all()
        out = []
        for p in rows:
            cur = p.currency
            attempts = conn.execute(select(payment_attempts).where(payment_attempts.c.payment_id == p.id)
                                    .order_by(payment_attempts.c.id)).all()
            done = conn.execute(select(refunds).where(refunds.c.payment_id == p.id).order_by(refunds.c.id)).all()
            refunded = sum((_money(r.amount, cur) for r in done if r.status == "succeeded"), ZERO)
            out.append({
                "id": p.id, "method": p.method, "gateway": p.gateway, "card_last4": p.card_last4,
                "preauth_amount": str(_money(p.preauth_amount, cur)) if p.preauth_amount is not None else None,
                "prepaid_plan": p.prepaid_plan, "currency": cur, "amount_due": str(_money(p.amount_due, cur)),
                "amount_captured": str(_money(p.amount_captured, cur)),
                "failed_amount": str(_money(p.failed_amount, cur)), "failure_reason": p.failure_reason,
                "unsettled_amount": str(_money(p.unsettled_amount, cur)), "status": p.status,
                "gateway_reference": p.gateway_reference,
                "attempts": [{"at": a.at.isoformat(), "amount": str(_money(a.amount, cur)), "outcome": a.outcome,
                              "failure_reason": a.failure_reason} for a in attempts],
                "refunds": [_refund_json(r) for r in done],
                "refunded": str(refunded),
                "refundable": str(_money(max(ZERO, _money(p.amount_captured, cur) - refunded), cur)),
            })
    return out


def _parse_amount(raw: Any, currency: str) -> Decimal:
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, TypeError):
        raise RefundRefused(f"amount {raw!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise RefundRefused("amount must be above zero")
    if amount != round_money(amount, currency):
        raise RefundRefused(f"amount has more decimals than {currency} allows ({minor_unit(currency)})")
    return amount


def refund(engine: Engine, session_id: int, amount: Any, currency: str, reason: str, idempotency_key: str,
           requested_by: str, gateway: PaymentGateway = DEFAULT_GATEWAY, now: datetime | None = None
           ) -> tuple[dict[str, Any], bool]:
    """Refund against the session's captured payment. Returns (refund, created); refusals change nothing."""
    now = now or _now()
    if not idempotency_key or len(idempotency_key) > 120:
        raise RefundRefused("idempotency_key is required (at most 120 characters)")
    with engine.connect() as conn:
        first = conn.execute(select(refunds).where(refunds.c.idempotency_key == idempotency_key)).first()
    if first is not None:
        same = (first.session_id == session_id and first.currency == currency and first.reason == reason
                and _money(first.amount, first.currency) == _parse_amount(amount, first.currency))
        if not same:
            raise RefundRefused(f"idempotency_key {idempotency_key!r} was used for a different refund", 409)
        return _refund_json(first), False
    try:
        return _refund_once(engine, session_id, amount, currency, reason, idempotency_key, requested_by, gateway, now)
    except IntegrityError:  # the same key arrived concurrently: answer as the first one did
        return refund(engine, session_id, amount, currency, reason, idempotency_key, requested_by, gateway, now)


def _refund_once(engine, session_id, amount, currency, reason, idempotency_key, requested_by, gateway, now):
    with engine.begin() as conn:
        payment = conn.execute(
            select(payments).where(payments.c.session_id == session_id, payments.c.amount_captured > 0)
            .order_by(payments.c.id.desc()).limit(1).with_for_update()).first()
        if payment is None:
            raise RefundRefused("the session has no captured payment to refund (unpaid session)")
        if currency != payment.currency:
            raise RefundRefused(f"the payment was in {payment.currency}, not {currency}")
        value = _parse_amount(amount, currency)
        refunded = conn.execute(select(func.coalesce(func.sum(refunds.c.amount), 0)).where(
            refunds.c.payment_id == payment.id, refunds.c.status == "succeeded")).scalar()
        refundable = _money(payment.amount_captured, currency) - _money(refunded, currency)
        if value > refundable:
            raise RefundRefused(f"amount {value} is above the refundable {refundable} {currency} "
                                f"(captured minus earlier refunds)")
        number = conn.execute(select(func.count()).select_from(refunds)
                              .where(refunds.c.payment_id == payment.id)).scalar() + 1
        result = gateway.refund(payment.gateway_reference or f"payment_{payment.id}", value, currency, number)
        status = "succeeded" if result.ok else "failed"
        refund_id = conn.execute(refunds.insert().values(
            payment_id=payment.id, session_id=session_id, amount=value, currency=currency, reason=reason,
            idempotency_key=idempotency_key, status=status, requested_by=requested_by, created_at=now,
        )).inserted_primary_key[0]
        if result.ok:
            conn.execute(update(payments).where(payments.c.id == payment.id).values(
                status="refunded" if value == refundable else "partly_refunded"))
        row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
    Ledger(engine).append(session_id, [NewEvent(
        EventKind.REFUND_RECORDED, now, EventSource.OPERATOR,
        {"refund_id": refund_id, "amount": str(value), "currency": currency, "reason": reason, "by": requested_by,
         "status": status}, idempotency_key=f"refund:{refund_id}")])
    return _refund_json(row), True
