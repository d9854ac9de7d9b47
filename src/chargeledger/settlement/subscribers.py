"""Ledger reactions: freeze the tariff when a session starts, settle and take payment when it is SETTLED, price
again when facts arrive after settlement, and carry a re-pricing's difference to the payment.

All are idempotent: a resent start freezes nothing new, a second SETTLED keeps the first settlement, late facts
that change no amount write no version, and each version's difference moves once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, select

from ..domain.events import EventKind
from ..ledger.outbox import committed
from ..ledger.store import Ledger
from ..ledger.subscribers import handles_many, subscribe
from ..payments.reasons import PaymentMethod
from ..payments.adjustments import adjust_payment
from ..payments.store import charge_settlement, record_payments, settlement_terms
from ..storage.tables import payments, session_settlements
from .store import (
    current_settlement, facts_of_many, freeze_tariff, freeze_tariffs, price_session, settle_session, settlements_of,
    settlements_of_many, store_first_versions,
)


def on_start(engine: Engine, session_id: int) -> None:
    freeze_tariff(engine, session_id)


def on_start_many(engine: Engine, session_ids: list[int]) -> None:
    freeze_tariffs(engine, session_ids)


def _payment_of(engine: Engine, session_id: int, events: list | None = None) -> dict:
    """How the session is paid: from the SETTLED event's `payment` object, else by how it was identified."""
    events = events if events is not None else Ledger(engine).events(session_id)
    settled = [e.typed for e in events if e.kind == EventKind.SETTLED]
    given = dict(settled[-1].payment or {}) if settled else {}
    if "method" not in given:
        roamed = any(e.kind == EventKind.ROAMING_ATTRIBUTED for e in events)
        given["method"] = PaymentMethod.ROAMING_INVOICE if roamed else PaymentMethod.RFID_ACCOUNT
    return given


def on_settled(engine: Engine, session_id: int) -> None:
    events = Ledger(engine).events(session_id)
    if not any(e.kind == EventKind.SETTLED for e in events):
        return  # the vehicle left, but the transaction has not ended yet (domain/readiness.py)
    settlement = settle_session(engine, session_id)
    charge_settlement(engine, session_id, settlement, _payment_of(engine, session_id, events))


def on_settled_many(engine: Engine, session_ids: list[int]) -> None:
    """The outbox worker's batch of SETTLED sessions: each priced from its facts (reads only), then every new
    settlement version with its PRICED event, and every payment that needs no gateway with its ledger entry,
    written in one transaction (a commit per batch, not four per session). A card payment is left pending in it
    and captured afterwards, outside any transaction, as `charge_session` does. A session settled or charged
    before (a replay) takes the one-session way, which finishes what was left."""
    with engine.connect() as conn:
        done = set(conn.execute(select(session_settlements.c.session_id).where(
            session_settlements.c.session_id.in_(session_ids))).scalars())
        done |= set(conn.execute(select(payments.c.session_id).where(payments.c.session_id.in_(session_ids)))
                    .scalars())
    fresh = []
    facts = facts_of_many(engine, [session_id for session_id in session_ids if session_id not in done])
    for session_id in session_ids:
        if session_id in done:
            on_settled(engine, session_id)
            continue
        found = facts.get(session_id)
        if found is not None and any(e.kind == EventKind.SETTLED for e in found.events):
            fresh.append((price_session(engine, session_id, events=found.events, facts=found),
                          _payment_of(engine, session_id, found.events)))
    if not fresh:
        return
    terms = {}
    with engine.begin() as conn:
        # a session settled meanwhile by another writer is left out: its settlement stands, and so does its payment
        for version in store_first_versions(conn, [version for version, _pay in fresh]):
            pay = next(p for v, p in fresh if v is version)
            row = {"payment_total": version.amounts["payment_total"], "currency": version.amounts["currency"],
                   "split_billing": version.result.split_billing}
            terms[version.session_id] = (row, pay, settlement_terms(row, pay, version.now))
        pending = record_payments(conn, [(session_id, t) for session_id, (_row, _pay, t) in terms.items()])
    committed(engine)
    for session_id, _left in pending:  # captured outside any transaction, as charge_session does
        row, pay, _terms = terms[session_id]
        charge_settlement(engine, session_id, row, pay)


def on_late_facts(engine: Engine, session_id: int) -> None:
    """A stop, readings or a start that arrived after settlement: a new version if the amounts change."""
    if current_settlement(engine, session_id) is None:
        on_settled(engine, session_id)  # settlement had failed for want of these facts
        return
    settle_session(engine, session_id, "re-priced: facts arrived after settlement", only_once=False,
                   keep_if_same=True)


def on_priced(engine: Engine, session_id: int) -> None:
    """A version after the first: move the difference to the payment (a version's key makes it once)."""
    _move_differences(engine, session_id, settlements_of(engine, session_id))


def on_priced_many(engine: Engine, session_ids: list[int]) -> None:
    """on_priced for a batch: every session's versions read in one query; a first settlement moves nothing."""
    for session_id, versions in settlements_of_many(engine, session_ids).items():
        _move_differences(engine, session_id, versions)


def _move_differences(engine: Engine, session_id: int, versions: list[dict]) -> None:
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
handles_many(on_start, on_start_many)
handles_many(on_settled, on_settled_many)
subscribe(EventKind.SETTLED, on_settled)
subscribe(EventKind.LATE_FACTS, on_late_facts)
subscribe(EventKind.PRICED, on_priced)
handles_many(on_priced, on_priced_many)
