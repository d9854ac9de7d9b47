"""Ledger reactions: freeze the tariff when a session starts, settle and take payment when it is SETTLED.

Both are idempotent: a resent start freezes nothing new, a second SETTLED keeps the first settlement.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from ..domain.events import EventKind
from ..ledger.store import Ledger
from ..ledger.subscribers import subscribe
from ..payments.reasons import PaymentMethod
from ..payments.store import charge_session
from .store import freeze_tariff, settle_session


def on_start(engine: Engine, session_id: int) -> None:
    freeze_tariff(engine, session_id)


def _payment_of(engine: Engine, session_id: int) -> dict:
    """How the session is paid: from the SETTLED event's `payment` object, else by how it was identified."""
    events = Ledger(engine).events(session_id)
    settled = [e for e in events if e.kind == EventKind.SETTLED]
    given = dict(settled[-1].get("payment") or {}) if settled else {}
    if "method" not in given:
        roamed = any(e.kind == EventKind.ROAMING_ATTRIBUTED for e in events)
        given["method"] = PaymentMethod.ROAMING_INVOICE if roamed else PaymentMethod.RFID_ACCOUNT
    return given


def on_settled(engine: Engine, session_id: int) -> None:
    settlement = settle_session(engine, session_id)
    pay = _payment_of(engine, session_id)
    preauth = pay.get("preauth_amount")
    charge_session(engine, session_id, Decimal(settlement["payment_total"]), settlement["currency"],
                   method=pay["method"], card_last4=pay.get("card_last4"),
                   preauth_amount=Decimal(str(preauth)) if preauth is not None else None,
                   prepaid_plan=pay.get("prepaid_plan"))


subscribe(EventKind.TRANSACTION_STARTED, on_start)
subscribe(EventKind.SESSION_RECORDED, on_start)
subscribe(EventKind.SETTLED, on_settled)
