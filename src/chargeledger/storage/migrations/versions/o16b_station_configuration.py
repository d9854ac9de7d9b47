"""station_configuration: a 1.6 station's configuration keys as it reported them and as it accepted our changes

Revision ID: o16b
Revises: o201a
"""
from alembic import op
import sqlalchemy as sa

revision = "o16b"
down_revision = "o201a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_configuration",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_station_configuration_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "key", name=op.f("pk_station_configuration")),
    )


def downgrade() -> None:
    op.drop_table("station_configuration")
