"""The indexes that hold only rows with a value (migration i18a) still serve the lookups that use them: a query that
compares the column with = or IN implies IS NOT NULL, so both planners may take the partial index. A predicate the
planner cannot prove (say `evse_id <> ''`) would turn these lookups into scans of every session."""

from __future__ import annotations

import pytest
from sqlalchemy import text

LOOKUPS = [
    ("SELECT id FROM sessions WHERE station_id = 'CP-1' AND transaction_id = '42'", "ix_sessions_transaction"),
    ("SELECT id FROM sessions WHERE transaction_id = '42'", "ix_sessions_transaction_id"),
    ("SELECT id FROM sessions WHERE evse_id = 'NL*ACM*E1'", "ix_sessions_evse"),
    ("SELECT id FROM sessions WHERE driver_id IN ('D-1', 'D-2')", "ix_sessions_driver"),
]


def _plan(conn, query: str) -> str:
    if conn.dialect.name == "sqlite":
        return " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: ask whether the index can serve at all
    return " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {query}")))


@pytest.mark.parametrize("query,index", LOOKUPS, ids=[index for _, index in LOOKUPS])
def test_a_lookup_by_value_uses_the_partial_index(engine, query, index):
    with engine.begin() as conn:
        assert index in _plan(conn, query)
