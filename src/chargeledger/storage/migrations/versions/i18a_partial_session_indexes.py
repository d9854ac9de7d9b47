"""Indexes on columns that an imported or most other sessions leave empty hold only the rows that have a value.

An imported history row has no EVSE, transaction or driver; every SQLite event has no txid (the outbox reads SQLite
by id). Their index entries were a third of what a bulk import writes per row, and are never read: every query on
these columns compares them with `=` or `IN`, which implies `IS NOT NULL`, so SQLite and PostgreSQL use the partial
index for it just the same. The txid index stays whole on PostgreSQL, where every event has one.

Revision ID: i18a
Revises: pk1b
"""
from alembic import op
import sqlalchemy as sa

revision = "i18a"
down_revision = "pk1b"
branch_labels = None
depends_on = None

# name, table, columns, the column that is mostly NULL, dialects whose index becomes partial
_PARTIAL = (
    ("ix_sessions_evse", "sessions", ["evse_id"], "evse_id", ("sqlite", "postgresql")),
    ("ix_sessions_transaction", "sessions", ["station_id", "transaction_id"], "transaction_id",
     ("sqlite", "postgresql")),
    ("ix_sessions_transaction_id", "sessions", ["transaction_id"], "transaction_id", ("sqlite", "postgresql")),
    ("ix_sessions_driver", "sessions", ["driver_id"], "driver_id", ("sqlite", "postgresql")),
    ("ix_session_events_txid", "session_events", ["txid", "id"], "txid", ("sqlite",)),
)


def upgrade() -> None:
    for name, table, columns, column, dialects in _PARTIAL:
        op.drop_index(name, table_name=table)
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, columns, **{f"{d}_where": where for d in dialects})


def downgrade() -> None:
    for name, table, columns, _, _ in _PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
