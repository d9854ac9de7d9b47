"""The statement's rows for money moved after a session's payment: refunds, and the re-pricings carried to it.

Each is a row of its own after the sessions, dated when it happened (in the report's time frame by that date, not
by the session's start), with the session's descriptive cells so a reader can match it:

- a refund: `Completion Status` "Refund", `Payment Total` minus the amount (so the file's money taken, Payment
  Total − Unsettled Amount summed per currency, is captures − refunds), `Net Revenue Received` minus the amount in
  the settlement currency, `Note` the reason;
- a re-pricing (payments/adjustments.py): `Completion Status` "Re-priced", `Note` from/to and the move (extra
  capture, refund, amount due changed). Its money is already in the session's row, which shows the current
  price and what is still owed, so this row adds no amount: a re-pricing refund is therefore not a refund row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import select

from ...domain.events import EventKind
from ...storage.tables import refunds, session_events, sessions
from ..columns import Column, Kind, ReportContext, in_zone
from ..source import joined_rows

CENT = Decimal("0.01")
ADJUSTMENT_KEY = "adjust:"  # refunds a re-pricing made carry this key prefix (payments/adjustments.py)
_AMOUNTS = (Kind.MONEY, Kind.DECIMAL, Kind.PERCENT, Kind.INTEGER, Kind.DURATION, Kind.JSON)


@dataclass(frozen=True)
class Move:
    session_id: int
    at: datetime
    status: str                  # the Completion Status cell
    note: str
    refunded: Decimal | None     # a refund's amount; None for a re-pricing


class _MovedRow:
    """The session's joined row with the move's own fields laid over it."""

    def __init__(self, base, overrides: dict[str, Any]):
        self._base, self._overrides = base, overrides

    def __getattr__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._base, name)


def _frame(request, column) -> list:
    return [column >= request.start, column < request.end,
            sessions.c.organisation_id.in_(request.organisation_ids),
            *([sessions.c.network == request.network] if request.network else [])]


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _payload(value) -> dict:
    payload = dict(value or {})
    return {**(payload.get("extra") or {}), **payload}  # keys a typed event does not name are kept in "extra"


def moves(conn, request) -> list[Move]:
    """Refunds made and re-pricings carried in the time frame, oldest first."""
    found: list[Move] = []
    for row in conn.execute(select(refunds.c.session_id, refunds.c.amount, refunds.c.currency, refunds.c.reason,
                                   refunds.c.created_at)
                            .join(sessions, sessions.c.id == refunds.c.session_id)
                            .where(refunds.c.status == "succeeded",
                                   refunds.c.idempotency_key.not_like(f"{ADJUSTMENT_KEY}%"),
                                   *_frame(request, refunds.c.created_at))):
        amount = _money(row.amount)
        found.append(Move(row.session_id, row.created_at, "Refund",
                          f"refund {amount} {row.currency}" + (f": {row.reason}" if row.reason else ""), amount))
    for row in conn.execute(select(session_events.c.session_id, session_events.c.occurred_at,
                                   session_events.c.payload)
                            .join(sessions, sessions.c.id == session_events.c.session_id)
                            .where(session_events.c.kind == EventKind.PAYMENT_ADJUSTED.value,
                                   *_frame(request, session_events.c.occurred_at))):
        given = _payload(row.payload)
        move = given.get("move", "payment adjusted")
        amount = given.get("refunded") if move == "refund" else given.get("difference")
        outcome = " (failed: still owed)" if given.get("captured") is False else ""
        found.append(Move(row.session_id, row.occurred_at, "Re-priced",
                          f"re-priced from {given.get('from')} to {given.get('to')}: {move} {amount}{outcome}",
                          None))
    return sorted(found, key=lambda m: (m.at, m.session_id))


def move_rows(conn, request, columns: list[Column], context: ReportContext) -> Iterator[tuple[list, Any]]:
    """(values, row) per move, for the statement's columns as the file shows them."""
    found = moves(conn, request)
    if not found:
        return
    ids = sorted({m.session_id for m in found})
    base = {row.session_id: row for row in conn.execute(joined_rows().where(sessions.c.id.in_(ids)))}
    payout = context.extras.get("payout", {})
    for move in found:
        session = base[move.session_id]
        rate = session.exchange_rate
        received = None
        if move.refunded is not None and payout.get(session.organisation_id) and rate is not None:
            received = -(move.refunded * rate).quantize(CENT)
        row = _MovedRow(session, {"status": move.status, "settled_at": move.at})
        own = {"Session Date": in_zone(move.at, context), "Completion Status": move.status, "Note": move.note,
               "Payment Total": -move.refunded if move.refunded is not None else None,
               "Net Revenue Received (Incl. Tax)": received, "Failed Payment Reason": None,
               "Data Verification Date": in_zone(move.at, context)}
        values = []
        for column in columns:
            if column.name in own:
                values.append(own[column.name])
            elif column.kind in _AMOUNTS:  # the session's amounts are in its own row: never counted twice
                values.append(None)
            else:
                values.append(column.value(row, context))
        yield values, row
