"""The statement's rows for money moved after a session's payment: refunds, and the re-pricings carried to it.

Each is a row of its own after the sessions, dated when it happened (in the report's time frame by that date, not
by the session's start), with the session's descriptive cells so a reader can match it:

- a refund: `Completion Status` "Refund", `Payment Total` minus the amount (so the file's money taken, Payment
  Total − Unsettled Amount summed per currency, is captures − refunds), `Net Revenue Received` minus the amount in
  the settlement currency, `Note` the reason;
- a re-pricing (payments/adjustments.py): `Completion Status` "Re-priced", `Note` from/to and the move (extra
  capture, refund, amount due changed). Its money is already in the session's row, which shows the current
  price and what is still owed, so this row adds no amount: a re-pricing refund is therefore not a refund row.

The moves are a small table joined to their sessions' rows in the pipeline; every other amount cell is empty.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ...domain.events import EventKind
from ...storage.tables import refunds, session_events, sessions
from ..cell_sql import local_time, literal
from ..source import in_frame

CENT = Decimal("0.01")
ADJUSTMENT_KEY = "adjust:"  # refunds a re-pricing made carry this key prefix (payments/adjustments.py)
_AMOUNTS = ("money", "decimal", "percent", "integer", "duration", "json")  # the session's row has them
_DEC = "CAST(move_refunded AS DECIMAL(38, 10))"


def paid_out(scope) -> str:
    """SQL listing the organisations with an automatic payout account (NULL: there is none)."""
    accounts = scope.context.extras.get("payout", {})
    return ", ".join(literal(org) for org, account in accounts.items() if account) or "NULL"


def moves(conn, request) -> list[tuple]:
    """(session id, when, status, note, refunded amount or None) of the refunds made and re-pricings carried in
    the time frame, oldest first."""
    found: list[tuple] = []
    for row in conn.execute(select(refunds.c.session_id, refunds.c.amount, refunds.c.currency, refunds.c.reason,
                                   refunds.c.created_at)
                            .join(sessions, sessions.c.id == refunds.c.session_id)
                            .where(refunds.c.status == "succeeded",
                                   refunds.c.idempotency_key.not_like(f"{ADJUSTMENT_KEY}%"),
                                   *in_frame(request, refunds.c.created_at))):
        amount = Decimal(str(row.amount)).quantize(CENT)
        found.append((row.session_id, row.created_at, "Refund",
                      f"refund {amount} {row.currency}" + (f": {row.reason}" if row.reason else ""), amount))
    for row in conn.execute(select(session_events.c.session_id, session_events.c.occurred_at,
                                   session_events.c.payload)
                            .join(sessions, sessions.c.id == session_events.c.session_id)
                            .where(session_events.c.kind == EventKind.PAYMENT_ADJUSTED.value,
                                   *in_frame(request, session_events.c.occurred_at))):
        given = dict(row.payload or {})
        given = {**(given.get("extra") or {}), **given}  # keys a typed event does not name are kept in "extra"
        move = given.get("move", "payment adjusted")
        amount = given.get("refunded") if move == "refund" else given.get("difference")
        outcome = " (failed: still owed)" if given.get("captured") is False else ""
        found.append((row.session_id, row.occurred_at, "Re-priced",
                      f"re-priced from {given.get('from')} to {given.get('to')}: {move} {amount}{outcome}", None))
    return sorted(found, key=lambda m: (m[1], m[0]))


class _Moves:
    """Report.trailing of the statement, for the pipeline."""

    def table(self, conn, request):
        """The moves as an Arrow table, in order; times as epoch µs, as the reader gives times."""
        import pyarrow as pa

        found = moves(conn, request)
        return pa.table({
            "move_order": pa.array(range(len(found)), pa.int64()),
            "move_session_id": pa.array([m[0] for m in found], pa.int64()),
            "move_at": pa.array([m[1] for m in found], pa.timestamp("us", "UTC")).cast(pa.int64()),
            "move_status": pa.array([m[2] for m in found], pa.string()),
            "move_note": pa.array([m[3] for m in found], pa.string()),
            "move_refunded": pa.array([None if m[4] is None else str(m[4]) for m in found], pa.string())})

    def rows(self, sessions: str) -> str:
        """The moved sessions' rows with the move's status and time laid over, in the moves' order."""
        return (f"(SELECT s.* REPLACE (m.move_status AS status, m.move_at AS settled_at), m.move_at, m.move_note, "
                f"m.move_refunded FROM {sessions} AS s JOIN moves AS m ON s.session_id = m.move_session_id "
                f"ORDER BY m.move_order)")

    def overrides(self, columns, scope) -> dict[str, str]:
        own = {
            "Session Date": local_time("move_at", literal(scope.context.time_zone.key), "%Y-%m-%d"),
            "Note": "cl_text(move_note)",
            # Decimal's minus of a zero is a positive zero
            "Payment Total": f"CASE WHEN move_refunded IS NOT NULL THEN cl_money_value(-{_DEC}, false) END",
            "Net Revenue Received (Incl. Tax)":
                f"CASE WHEN move_refunded IS NOT NULL AND organisation_id IN ({paid_out(scope)}) "
                f"AND exchange_rate IS NOT NULL THEN "
                f"cl_money_value(-round_even({_DEC} * CAST(exchange_rate AS DECIMAL(38, 10)), 2), false) END",
            "Failed Payment Reason": "NULL"}
        return {c.name: own.get(c.name, "NULL") for c in columns if c.name in own or c.kind in _AMOUNTS}

    def said(self, scope) -> tuple[str, ...]:
        """The fields the overrides read beyond the columns' own."""
        return ("organisation_id exchange_rate status settled_at",)  # the rows() replace these two


MOVES = _Moves()
