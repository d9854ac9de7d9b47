"""charging_profiles: the profiles a station holds, as it accepted or reported them

Revision ID: o201b
Revises: s19a
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import Json, UtcDateTime

revision = "o201b"
down_revision = "s19a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("evse", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("profile", Json, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_charging_profiles_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "profile_id", name=op.f("pk_charging_profiles")),
    )


def downgrade() -> None:
    op.drop_table("charging_profiles")
