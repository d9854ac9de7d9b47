"""Provisioning: each station's registration (its BootNotification answer), the device model it reports, the last
state per topic it notified, and its security events

Existing stations were answered Accepted until now and stay Accepted.

Revision ID: o201a
Revises: o16a
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import BigId, Json, UtcDateTime

revision = "o201a"
down_revision = "o16a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("registration", sa.String(length=16), nullable=False, server_default="Accepted"))
    op.create_table(
        "station_variables",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("component", sa.String(length=50), nullable=False),
        sa.Column("component_instance", sa.String(length=50), nullable=False),
        sa.Column("evse", sa.Integer(), nullable=False),
        sa.Column("connector", sa.Integer(), nullable=False),
        sa.Column("variable", sa.String(length=50), nullable=False),
        sa.Column("variable_instance", sa.String(length=50), nullable=False),
        sa.Column("attribute_type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("mutability", sa.String(length=16), nullable=True),
        sa.Column("characteristics", Json, nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_station_variables_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "component", "component_instance", "evse", "connector", "variable",
                                "variable_instance", "attribute_type", name=op.f("pk_station_variables")),
    )
    op.create_table(
        "station_states",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("value", Json, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_station_states_station_id_stations")),
        sa.PrimaryKeyConstraint("station_id", "topic", name=op.f("pk_station_states")),
    )
    op.create_table(
        "security_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("tech_info", sa.String(length=255), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_security_events_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index("ix_security_events_station", "security_events", ["station_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_security_events_station", table_name="security_events")
    op.drop_table("security_events")
    op.drop_table("station_states")
    op.drop_table("station_variables")
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("registration")
