"""Which gateway process holds each station's websocket (stations.gateway, connected_since, last_message_at) and
the gateways that are alive (a lease each renews while it runs), for remote commands routed over the bus

Revision ID: s19a
Revises: o16c
"""
from alembic import op
import sqlalchemy as sa

revision = "s19a"
down_revision = "o16c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("gateway", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("connected_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "gateways",
        sa.Column("name", sa.String(length=128), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gateways")
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("last_message_at")
        batch.drop_column("connected_since")
        batch.drop_column("gateway")
