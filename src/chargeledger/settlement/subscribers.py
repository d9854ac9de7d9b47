"""Ledger reactions: freeze the tariff when a session starts, settle and take payment when it is SETTLED, price
again when facts arrive after settlement, and carry a re-pricing's difference to the payment.

All are idempotent: a resent start freezes nothing new, a second SETTLED keeps the first settlement, late facts
that change no amount write no version, and each version's difference moves once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from ..domain.events import EventKind
from ..ledger.store import Ledger
from ..ledger.subscribers import subscribe
from ..payments.reasons import PaymentMethod
from ..payments.adjustments import adjust_payment
from ..payments.store import charge_settlement
from .store import current_settlement, freeze_tariff, settle_session, settlements_of


def on_start(engine: Engine, session_id: int) -> None:
    freeze_tariff(engine, session_id)


def _payment_of(engine: Engine, session_id: int) -> dict:
    """How the session is paid: from the SETTLED event's `payment` object, else by how it was identified."""
    events = Ledger(engine).events(session_id)
    settled = [e.typed for e in events if e.kind == EventKind.SETTLED]
    given = dict(settled[-1].payment or {}) if settled else {}
    if "method" not in given:
        roamed = any(e.kind == EventKind.ROAMING_ATTRIBUTED for e in events)
        given["method"] = PaymentMethod.ROAMING_INVOICE if roamed else PaymentMethod.RFID_ACCOUNT
    return given


def on_settled(engine: Engine, session_id: int) -> None:
    if not any(e.kind == EventKind.SETTLED for e in Ledger(engine).events(session_id)):
        return  # the vehicle left, but the transaction has not ended yet (domain/readiness.py)
    settlement = settle_session(engine, session_id)
    charge_settlement(engine, session_id, settlement, _payment_of(engine, session_id))


def on_late_facts(engine: Engine, session_id: int) -> None:
    """A stop, readings or a start that arrived after settlement: a new version if the amounts change."""
    if current_settlement(engine, session_id) is None:
        on_settled(engine, session_id)  # settlement had failed for want of these facts
        return
    settle_session(engine, session_id, "re-priced: facts arrived after settlement", only_once=False,
                   keep_if_same=True)


def on_priced(engine: Engine, session_id: int) -> None:
    """A version after the first: move the difference to the payment (a version's key makes it once)."""
    versions = settlements_of(engine, session_id)
    for earlier, later in zip(versions, versions[1:]):
        adjust_payment(engine, session_id, Decimal(earlier["payment_total"]), Decimal(later["payment_total"]),
                       key=f"{session_id}:v{later['version']}", old_team=_team_share(earlier),
                       new_team=_team_share(later))


def _team_share(settlement: dict) -> Decimal:
    """What the driver's team pays of this version (split billing); the driver's card moves only the rest."""
    split = settlement.get("split_billing") or {}
    return Decimal(str(split["team_share"])) if split.get("team_share") else Decimal(0)


subscribe(EventKind.TRANSACTION_STARTED, on_start)
subscribe(EventKind.SESSION_RECORDED, on_start)
subscribe(EventKind.SETTLED, on_settled)
subscribe(EventKind.LATE_FACTS, on_late_facts)
subscribe(EventKind.PRICED, on_priced)
