"""stations.registration (the BootNotification answer: Accepted, Pending until approved, Rejected) and
stations.heartbeat_interval; station_configuration (the keys a station reported, and our accepted changes)

Revision ID: o16b
Revises: o16a
"""
from alembic import op
import sqlalchemy as sa

revision = "o16b"
down_revision = "o16a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("registration", sa.String(length=16), nullable=False, server_default="Accepted"))
        batch.add_column(sa.Column("heartbeat_interval", sa.Integer(), nullable=True))
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
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("heartbeat_interval")
        batch.drop_column("registration")
