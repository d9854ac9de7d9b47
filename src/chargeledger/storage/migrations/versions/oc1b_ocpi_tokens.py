"""ocpi_tokens: tokens roaming partners push to us (OCPI tokens module, Receiver)

Revision ID: oc1b
Revises: o16b
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import Json, UtcDateTime

revision = "oc1b"
down_revision = "o16b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ocpi_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("uid_key", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("whitelist", sa.String(length=16), nullable=False),
        sa.Column("token", Json, nullable=False),
        sa.Column("last_updated", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["ocpi_partners.id"],
                                name=op.f("fk_ocpi_tokens_partner_id_ocpi_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpi_tokens")),
        sa.UniqueConstraint("partner_id", "country_code", "party_id", "uid_key", "type", name="uq_ocpi_tokens_key"),
    )
    op.create_index("ix_ocpi_tokens_uid_key", "ocpi_tokens", ["uid_key"])


def downgrade() -> None:
    op.drop_index("ix_ocpi_tokens_uid_key", table_name="ocpi_tokens")
    op.drop_table("ocpi_tokens")
