"""audit_entries: every operator action, with who, when, from where

Revision ID: a14a
Revises: a14s
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import BigId, Json, UtcDateTime

revision = "a14a"
down_revision = "a14s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target_kind", sa.String(length=24), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("details", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_target", "audit_entries", ["target_kind", "target_id", "id"])
    op.create_index("ix_audit_entries_organisation_id", "audit_entries", ["organisation_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_organisation_id", table_name="audit_entries")
    op.drop_index("ix_audit_entries_target", table_name="audit_entries")
    op.drop_table("audit_entries")
