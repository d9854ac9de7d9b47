"""charging_profiles (what a station accepted through SetChargingProfile) and sites.power_limit_kw (a grid limit
shared by the site's stations)

Revision ID: o16d
Revises: s19a
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import Json

revision = "o16d"
down_revision = "s19a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("profile", Json, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_charging_profiles_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "profile_id", name=op.f("pk_charging_profiles")),
    )
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("power_limit_kw", sa.Numeric(10, 1), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("power_limit_kw")
    op.drop_table("charging_profiles")
