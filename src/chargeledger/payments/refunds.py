"""Refunds against a session's captured payment: never above what is left, each exactly once.

A refund is made in three steps so that no lock is held while the gateway answers and no crash loses money:
1. under the payment's lock: check the key and the refundable amount (captured minus refunds succeeded or still
   pending), and reserve the amount as a pending refund;
2. ask the gateway, with the refund's key as its idempotency key;
3. under the lock again: the refund's outcome and its ledger entry, in one transaction.
A request repeating a key answers as the first one did; if that one was cut short (a pending refund), it is
finished first. A key already used for another refund is a conflict. A gateway refusal releases the reservation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.events import EventKind, EventSource
from ..ledger.store import Ledger, NewEvent
from ..ledger.outbox import committed
from ..settlement.currency import minor_unit, round_money
from ..storage.locks import locked_row
from ..storage.tables import payments, refunds
from .gateway import DEFAULT_GATEWAY, PaymentGateway
from .store import _refund_json


class RefundRefused(ValueError):
    """A refund that cannot be made; nothing was changed. `status` is the HTTP status that says why."""

    def __init__(self, reason: str, status: int = 422):
        self.reason, self.status = reason, status
        super().__init__(reason)


def amount_text(raw: Any) -> str:
    """An amount as the operator typed it, in their locale: "1,50", "1.234,56", "1 234,56" or "1,234.56".
    With both separators the last one is the decimal mark; a lone comma is one."""
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        grouping = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(grouping, "")
    return text.replace(",", ".") if text.count(",") == 1 else text


def _parse_amount(raw: Any, currency: str) -> Decimal:
    try:
        amount = Decimal(amount_text(raw))
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
    now = now or datetime.now(timezone.utc)
    if not idempotency_key or len(idempotency_key) > 120:
        raise RefundRefused("idempotency_key is required (at most 120 characters)")
    try:
        row, created = _reserve(engine, session_id, amount, currency, reason, idempotency_key, requested_by, now)
    except IntegrityError:
        # only the refund key is unique among what _reserve writes: another request holds this key
        with engine.connect() as conn:
            if conn.execute(select(refunds.c.id).where(refunds.c.idempotency_key == idempotency_key)).first() is None:
                raise
        return refund(engine, session_id, amount, currency, reason, idempotency_key, requested_by, gateway, now)
    if row.status == "pending":
        row = _complete(engine, row, gateway, now)
    if row.status == "failed":  # the first answer to this key was this error: a replay gets it again
        raise RefundRefused("the payment gateway refused the refund; nothing was refunded", 502)
    return _refund_json(row), created


def _same(first, session_id: int, amount: Any, currency: str, reason: str) -> bool:
    try:
        value = _parse_amount(amount, first.currency)
    except RefundRefused:
        return False
    return (first.session_id == session_id and first.currency == currency and first.reason == reason
            and round_money(Decimal(first.amount), first.currency) == value)


def _reserve(engine, session_id, amount, currency, reason, idempotency_key, requested_by, now):
    """The refund under this key: the first one's row, or a new pending one. Returns (row, created)."""
    with engine.begin() as conn:
        payment = locked_row(conn, payments, payments.c.session_id == session_id, payments.c.amount_captured > 0)
        first = conn.execute(select(refunds).where(refunds.c.idempotency_key == idempotency_key)).first()
        if first is not None:
            if not _same(first, session_id, amount, currency, reason):
                raise RefundRefused(f"idempotency_key {idempotency_key!r} was used for a different refund", 409)
            return first, False
        if payment is None:
            raise RefundRefused("the session has no captured payment to refund (unpaid session)")
        if currency != payment.currency:
            raise RefundRefused(f"the payment was in {payment.currency}, not {currency}")
        value = _parse_amount(amount, currency)
        taken = conn.execute(select(func.coalesce(func.sum(refunds.c.amount), 0)).where(
            refunds.c.payment_id == payment.id, refunds.c.status.in_(("succeeded", "pending")))).scalar()
        refundable = round_money(Decimal(payment.amount_captured), currency) - round_money(Decimal(taken), currency)
        if value > refundable:
            raise RefundRefused(f"amount {value} is above the refundable {refundable} {currency} "
                                f"(captured minus earlier refunds)")
        refund_id = conn.execute(refunds.insert().values(
            payment_id=payment.id, session_id=session_id, amount=value, currency=currency, reason=reason,
            idempotency_key=idempotency_key, status="pending", requested_by=requested_by, created_at=now,
        )).inserted_primary_key[0]
        return conn.execute(select(refunds).where(refunds.c.id == refund_id)).one(), True


def _complete(engine, pending, gateway: PaymentGateway, now: datetime):
    """Ask the gateway for a reserved refund and record its outcome with the ledger entry."""
    with engine.connect() as conn:
        payment = conn.execute(select(payments).where(payments.c.id == pending.payment_id)).one()
        number = conn.execute(select(func.count()).select_from(refunds).where(
            refunds.c.payment_id == payment.id, refunds.c.id <= pending.id)).scalar()
    result = gateway.refund(payment.gateway_reference or f"payment_{payment.id}", Decimal(pending.amount),
                            pending.currency, number)
    status = "succeeded" if result.ok else "failed"
    with engine.begin() as conn:
        locked_row(conn, payments, payments.c.id == payment.id)
        row = conn.execute(select(refunds).where(refunds.c.id == pending.id)).one()
        if row.status != "pending":  # a repeat of this key finished it meanwhile
            return row
        conn.execute(update(refunds).where(refunds.c.id == row.id).values(status=status))
        if result.ok:
            refunded = conn.execute(select(func.coalesce(func.sum(refunds.c.amount), 0)).where(
                refunds.c.payment_id == payment.id, refunds.c.status == "succeeded")).scalar()
            whole = round_money(Decimal(refunded), row.currency) >= round_money(Decimal(payment.amount_captured),
                                                                                 row.currency)
            conn.execute(update(payments).where(payments.c.id == payment.id).values(
                status="refunded" if whole else "partly_refunded"))
        Ledger(engine).append(row.session_id, [NewEvent(
            EventKind.REFUND_RECORDED, now, EventSource.OPERATOR,
            {"refund_id": row.id, "amount": str(round_money(Decimal(row.amount), row.currency)),
             "currency": row.currency, "reason": row.reason, "by": row.requested_by, "status": status},
            idempotency_key=f"refund:{row.id}")], conn)
        row = conn.execute(select(refunds).where(refunds.c.id == row.id)).one()
    committed(engine)
    return row
