"""Pricing the demo's history with the real settlement code: freeze, settle, take payment, refund a few.

The ledger reactions do the same for live sessions but stamp today's time; history is settled at the time it
happened, so its money events keep the session's own dates (and its stored projection stays current).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Callable, Iterable

from sqlalchemy import Engine

from ..domain.events import EventKind
from ..importing.bulk import SessionRecord
from ..ledger.store import Ledger
from ..payments.reasons import PaymentMethod
from ..payments.refunds import refund
from ..payments.store import charge_settlement
from ..settlement.store import freeze_tariff, settle_session

REFUND_EVERY = 40  # one in 40 captured card payments is refunded, alternately in full and in part
_REFUND_REASONS = ("Charger stopped early: full refund", "Goodwill: idle fee waived after a complaint")


@dataclass
class SettleSummary:
    settled: int = 0
    payments: int = 0
    failed_payments: int = 0
    refunds: int = 0
    refunded_sessions: list[int] = field(default_factory=list)


def _payment_of(record: SessionRecord) -> dict:
    """As the settlement subscriber reads it: the SETTLED event's `payment`, else by how it was identified."""
    settled = [e for e in record.events if e.kind == EventKind.SETTLED]
    given = dict(settled[-1].payload.get("payment") or {}) if settled else {}
    if "method" not in given:
        roamed = any(e.kind == EventKind.ROAMING_ATTRIBUTED for e in record.events)
        given["method"] = PaymentMethod.ROAMING_INVOICE if roamed else PaymentMethod.RFID_ACCOUNT
    return given


def settle_history(engine: Engine, stored: Iterable[tuple[int, SessionRecord]],
                   progress: Callable[[int], None] | None = None) -> SettleSummary:
    """Settle and charge every stored session that ended, at the time of its last event."""
    summary = SettleSummary()
    captured_cards = 0
    for session_id, record in stored:
        kinds = {e.kind for e in record.events}
        if EventKind.TRANSACTION_STOPPED not in kinds:
            continue
        started = next(e.occurred_at for e in record.events if e.kind == EventKind.TRANSACTION_STARTED)
        last = max(e.occurred_at for e in record.events)
        freeze_tariff(engine, session_id, now=started)  # what the start reaction would have frozen then
        settlement = settle_session(engine, session_id, now=last)
        payment = charge_settlement(engine, session_id, settlement, _payment_of(record), now=last)
        summary.settled += 1
        summary.payments += 1
        summary.failed_payments += payment["status"] == "failed"
        if payment["status"] == "captured" and payment["method"] in ("card", "wallet"):
            captured_cards += 1
            if captured_cards % REFUND_EVERY == 0:
                _refund(engine, session_id, payment, captured_cards // REFUND_EVERY, last, summary)
        if progress:
            progress(summary.settled)
    return summary


def _refund(engine: Engine, session_id: int, payment: dict, number: int, last, summary: SettleSummary) -> None:
    full = number % 2 == 1
    captured = Decimal(payment["amount_captured"])
    amount = captured if full else (captured / 4).quantize(Decimal("0.01"))
    if amount <= 0:
        return
    refund(engine, session_id, str(amount), payment["currency"], _REFUND_REASONS[0 if full else 1],
           f"demo-refund:{session_id}", "support@demo.chargeledger.org", now=last + timedelta(days=1, hours=2))
    Ledger(engine).refresh(session_id)  # the refund is the session's newest fact
    summary.refunds += 1
    summary.refunded_sessions.append(session_id)
