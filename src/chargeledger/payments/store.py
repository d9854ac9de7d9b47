"""Payment records: one payment per settled session, captured with attempts (refunds: payments/refunds.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from ..domain.events import EventKind, EventSource
from ..ledger.outbox import committed
from ..ledger.store import Ledger, NewEvent, lock_sessions
from ..settlement.currency import round_money
from ..storage.locks import locked_row
from ..storage.tables import payment_attempts, payments, refunds, sessions
from .gateway import DEFAULT_GATEWAY, PaymentGateway
from .reasons import PaymentMethod

MAX_ATTEMPTS = 3
# payments.status is String(16): "partly_refunded" stands for partially refunded.
ZERO = Decimal(0)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _money(value: Any, currency: str) -> Decimal:
    return round_money(Decimal(value or 0), currency)


def charge_session(engine: Engine, session_id: int, amount: Decimal, currency: str,
                   method: PaymentMethod | str = PaymentMethod.CARD, card_last4: str | None = None,
                   preauth_amount: Decimal | None = None, prepaid_plan: str | None = None,
                   team_share: Decimal | None = None,
                   gateway: PaymentGateway = DEFAULT_GATEWAY, now: datetime | None = None) -> dict[str, Any]:
    """Take payment for a settled session once: a second call, concurrent or later, returns the same payment.

    The payment row is written first (pending) under the session's lock, the gateway is called outside any
    lock, and the outcome is written together with its ledger entry; a payment left pending by a crash in
    between is captured when the call is repeated (the gateway sees the same payment and attempt numbers).
    A payment that needs no gateway (invoice, prepaid plan, free) is written whole in one transaction.

    `team_share` (split billing): the part of `amount` the driver's team pays; the driver is charged only the
    rest, and the team's share stays owed on the payment (unsettled: invoiced to the team)."""
    terms = Terms.of(amount, currency, method, card_last4, preauth_amount, prepaid_plan, team_share, gateway, now)
    with engine.begin() as conn:
        pending = record_payment(conn, session_id, terms)
    if pending is None:
        committed(engine)
        return payments_of(engine, session_id)[0]
    payment_id, terms = pending
    values = _capture(engine, gateway, payment_id, terms.driver, terms.currency, terms.card_last4, terms.now)
    if terms.team:
        values["unsettled_amount"] = values.get("unsettled_amount", ZERO) + terms.team
    with engine.begin() as conn:
        _finish(conn, session_id, payment_id, terms, values)
    committed(engine)
    return payments_of(engine, session_id)[0]


@dataclass(frozen=True)
class Terms:
    """What a payment is to take: the amount, how, and the team's share of it."""
    amount: Decimal
    currency: str
    method: PaymentMethod
    gateway_name: str
    card_last4: str | None
    preauth_amount: Decimal | None
    prepaid_plan: str | None
    team: Decimal
    now: datetime

    @classmethod
    def of(cls, amount: Decimal, currency: str, method: PaymentMethod | str, card_last4: str | None = None,
           preauth_amount: Decimal | None = None, prepaid_plan: str | None = None,
           team_share: Decimal | None = None, gateway: PaymentGateway = DEFAULT_GATEWAY,
           now: datetime | None = None) -> "Terms":
        method = PaymentMethod(method)
        if amount == 0:
            method = PaymentMethod.FREE
        gateway_name = {PaymentMethod.CARD: gateway.name, PaymentMethod.WALLET: gateway.name,
                        PaymentMethod.PREPAID: "prepaid plan", PaymentMethod.FREE: "none"}.get(method, "invoice")
        team = min(max(team_share or ZERO, ZERO), amount) if amount > 0 else ZERO
        return cls(amount, currency, method, gateway_name, card_last4, preauth_amount, prepaid_plan, team,
                   now or _now())

    @property
    def driver(self) -> Decimal:
        return self.amount - self.team

    @property
    def needs_gateway(self) -> bool:
        return self.method in (PaymentMethod.CARD, PaymentMethod.WALLET) and not (self.driver == 0 and self.team > 0)


def record_payment(conn: Connection, session_id: int, terms: Terms) -> tuple[int, Terms] | None:
    """In the caller's transaction, under the session's lock: the session's payment, once. Without a gateway it is
    written whole with its ledger entry (None is returned); with one it is left pending and (its id, its terms)
    returned for the capture, which runs outside any transaction. A payment an earlier call left pending is
    finished with its own terms. None too when the session already has a finished payment. The caller notifies
    the outbox after its commit."""
    locked_row(conn, sessions, sessions.c.id == session_id)
    existing = conn.execute(select(payments).where(payments.c.session_id == session_id)
                            .order_by(payments.c.id).limit(1)).first()
    if existing is not None:
        if existing.status != "pending":
            return None
        amount = Decimal(existing.amount_due)
        terms = replace(terms, method=PaymentMethod(existing.method), amount=amount, currency=existing.currency,
                        card_last4=existing.card_last4, team=min(terms.team, amount) if amount > 0 else ZERO)
        payment_id = existing.id
    else:
        payment_id = conn.execute(payments.insert().values(**_new_payment(session_id, terms))).inserted_primary_key[0]
    if terms.needs_gateway:
        return payment_id, terms
    _finish(conn, session_id, payment_id, terms, _without_gateway(terms))
    return None


def record_payments(conn: Connection, items: list[tuple[int, Terms]]) -> list[tuple[int, tuple[int, Terms]]]:
    """record_payment for many sessions in the caller's transaction (the outbox worker's batch): the sessions locked
    and their payments looked up at once; a session without one gets its payment in one insert, written whole
    (its status final, since it is inserted in this transaction) with its ledger entry when it needs no gateway,
    the entries appended together. A session that has one already takes `record_payment`, which finishes it.
    Returns (session, (payment id, terms)) for the payments left pending for a gateway."""
    if not items:
        return []
    ids = [session_id for session_id, _terms in items]
    lock_sessions(conn, ids)
    paid = set(conn.execute(select(payments.c.session_id).where(payments.c.session_id.in_(ids))).scalars())
    pending, entries = [], []
    for session_id, terms in items:
        if session_id in paid:
            left = record_payment(conn, session_id, terms)
            if left is not None:
                pending.append((session_id, left))
            continue
        values = {} if terms.needs_gateway else _without_gateway(terms)
        payment_id = conn.execute(payments.insert().values(**{**_new_payment(session_id, terms), **values})
                                  ).inserted_primary_key[0]
        if terms.needs_gateway:
            pending.append((session_id, (payment_id, terms)))
        else:
            entries.append((session_id, [_payment_event(payment_id, terms, values)]))
    Ledger(conn.engine).append_many(conn, entries)
    return pending


def _new_payment(session_id: int, terms: Terms) -> dict[str, Any]:
    return dict(session_id=session_id, method=terms.method.value, gateway=terms.gateway_name,
                card_last4=terms.card_last4, preauth_amount=terms.preauth_amount, prepaid_plan=terms.prepaid_plan,
                currency=terms.currency, amount_due=terms.amount, amount_captured=ZERO, failed_amount=ZERO,
                unsettled_amount=ZERO, status="pending", created_at=terms.now)


def _without_gateway(terms: Terms) -> dict[str, Any]:
    if terms.driver == 0 and terms.team > 0:
        values: dict[str, Any] = {"status": "invoiced"}  # the team pays it all, by invoice
    elif terms.method in (PaymentMethod.RFID_ACCOUNT, PaymentMethod.ROAMING_INVOICE):
        values = {"status": "invoiced", "unsettled_amount": terms.driver}  # post-pay: settled later by invoice
    else:  # prepaid plan balance or free
        values = {"status": "captured", "amount_captured": terms.driver}
    if terms.team:
        values["unsettled_amount"] = values.get("unsettled_amount", ZERO) + terms.team
    return values


def _finish(conn: Connection, session_id: int, payment_id: int, terms: Terms, values: dict[str, Any]) -> None:
    """The payment's outcome and its ledger entry, together."""
    payment = locked_row(conn, payments, payments.c.id == payment_id)
    if payment.status != "pending":  # a concurrent call may have finished it meanwhile
        return
    conn.execute(update(payments).where(payments.c.id == payment_id).values(**values))
    Ledger(conn.engine).append(session_id, [_payment_event(payment_id, terms, values)], conn)


def _payment_event(payment_id: int, terms: Terms, values: dict[str, Any]) -> NewEvent:
    return NewEvent(EventKind.PAYMENT_RECORDED, terms.now, EventSource.SYSTEM,
                    {"payment_id": payment_id, "method": terms.method.value, "status": values["status"],
                     "amount_captured": str(values.get("amount_captured", ZERO)),
                     "failure_reason": values.get("failure_reason")},
                    idempotency_key=f"payment:{payment_id}")


def settlement_terms(settlement: dict[str, Any], pay: dict[str, Any], now: datetime | None = None) -> Terms:
    """A settlement row's payment terms as the SETTLED event's `payment` says (method, card, pre-authorisation,
    plan); with split billing the team's share stays owed on the payment."""
    preauth = pay.get("preauth_amount")
    split = settlement.get("split_billing") or {}
    return Terms.of(Decimal(settlement["payment_total"]), settlement["currency"], pay["method"],
                    card_last4=pay.get("card_last4"),
                    preauth_amount=Decimal(str(preauth)) if preauth is not None else None,
                    prepaid_plan=pay.get("prepaid_plan"),
                    team_share=Decimal(str(split["team_share"])) if split.get("team_share") else None, now=now)


def charge_settlement(engine: Engine, session_id: int, settlement: dict[str, Any], pay: dict[str, Any],
                      now: datetime | None = None) -> dict[str, Any]:
    """Charge a settlement row as the SETTLED event's `payment` says (method, card, pre-authorisation, plan);
    with split billing the driver only the driver's share, the team's staying owed on the payment."""
    t = settlement_terms(settlement, pay, now)
    return charge_session(engine, session_id, t.amount, t.currency, method=t.method, card_last4=t.card_last4,
                          preauth_amount=t.preauth_amount, prepaid_plan=t.prepaid_plan, team_share=t.team,
                          now=t.now)


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
            reserved = sum((_money(r.amount, cur) for r in done if r.status == "pending"), ZERO)
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
                "refundable": str(_money(max(ZERO, _money(p.amount_captured, cur) - refunded - reserved), cur)),
            })
    return out
