"""reservations (per station, by the id the station knows) and charging_profiles (what a station holds)

Revision ID: o201b
Revises: oc1b
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import BigId, Json, UtcDateTime

revision = "o201b"
down_revision = "oc1b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("evse", sa.Integer(), nullable=False),
        sa.Column("id_token", sa.String(length=64), nullable=False),
        sa.Column("token_type", sa.String(length=16), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("session_id", BigId, nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_reservations_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_reservations_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "reservation_id", name=op.f("pk_reservations")),
    )
    op.create_index("ix_reservations_organisation_id", "reservations", ["organisation_id"])
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
    op.drop_index("ix_reservations_organisation_id", table_name="reservations")
    op.drop_table("reservations")
