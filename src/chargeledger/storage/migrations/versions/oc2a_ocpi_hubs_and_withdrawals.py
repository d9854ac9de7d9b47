"""OCPI hubs and tariff withdrawals: pushes routed to a party behind a hub, hub client info, tariffs withdrawn

Revision ID: oc2a
Revises: h16a
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import UtcDateTime

revision = "oc2a"
down_revision = "h16a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ocpi_pushes") as batch:
        batch.add_column(sa.Column("to_country_code", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("to_party_id", sa.String(length=3), nullable=True))
    with op.batch_alter_table("tariffs") as batch:
        batch.add_column(sa.Column("withdrawn_at", UtcDateTime(), nullable=True))
    op.create_table(
        "ocpi_client_info",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("last_updated", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["ocpi_partners.id"],
                                name=op.f("fk_ocpi_client_info_partner_id_ocpi_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpi_client_info")),
        sa.UniqueConstraint("partner_id", "country_code", "party_id", "role", name="uq_ocpi_client_info_party"),
    )


def downgrade() -> None:
    op.drop_table("ocpi_client_info")
    with op.batch_alter_table("tariffs") as batch:
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("ocpi_pushes") as batch:
        batch.drop_column("to_party_id")
        batch.drop_column("to_country_code")
