"""The outbox: session_events read in commit order by a worker, a checkpoint per consumer, failed reactions kept
for retry (and parked as poison after the last attempt); on PostgreSQL each event carries its transaction's id

Revision ID: a14o
Revises: a14a
"""
from alembic import op
import sqlalchemy as sa

revision = "a14o"
down_revision = "a14a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("session_events") as batch:
        # The writer's transaction id, set by the server: a reader takes only ids below the oldest running one.
        default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else None
        batch.add_column(sa.Column("txid", sa.BigInteger(), nullable=True, server_default=default))
    op.create_index("ix_session_events_txid", "session_events", ["txid", "id"])
    op.create_table(
        "outbox_checkpoints",
        sa.Column("consumer", sa.String(length=64), primary_key=True),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_txid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox_failures",
        sa.Column("event_id", sa.BigInteger(), primary_key=True),
        sa.Column("consumer", sa.String(length=120), primary_key=True),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parked", sa.Boolean(), nullable=False),
    )
    # Events stored before this revision had their reactions run inline: the worker starts after them.
    op.execute("UPDATE session_events SET txid = 0")
    op.execute("INSERT INTO outbox_checkpoints (consumer, last_event_id, last_txid, updated_at) "
               "SELECT 'reactions', COALESCE(MAX(id), 0), 0, CURRENT_TIMESTAMP FROM session_events")


def downgrade() -> None:
    op.drop_table("outbox_failures")
    op.drop_table("outbox_checkpoints")
    op.drop_index("ix_session_events_txid", table_name="session_events")
    with op.batch_alter_table("session_events") as batch:
        batch.drop_column("txid")
