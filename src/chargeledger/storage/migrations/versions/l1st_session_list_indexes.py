"""Indexes for the session list: sort by energy, and search by transaction ID or driver.

Revision ID: l1st
Revises: 0002
"""
from alembic import op

revision = "l1st"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sessions_energy", "sessions", ["energy_wh", "id"])
    op.create_index("ix_sessions_transaction_id", "sessions", ["transaction_id"])
    op.create_index("ix_sessions_driver", "sessions", ["driver_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_driver", "sessions")
    op.drop_index("ix_sessions_transaction_id", "sessions")
    op.drop_index("ix_sessions_energy", "sessions")
