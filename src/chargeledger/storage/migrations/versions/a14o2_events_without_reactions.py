"""session_events.reactions: false for history written without ledger reactions (an import without --notify, the
demo's and the bench's seeded history); the outbox worker passes such events without settling or charging them

Revision ID: a14o2
Revises: a14o
"""
from alembic import op
import sqlalchemy as sa

revision = "a14o2"
down_revision = "a14o"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_events") as batch:
        batch.add_column(sa.Column("reactions", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("session_events") as batch:
        batch.drop_column("reactions")
