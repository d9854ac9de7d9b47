"""stations.unsecured (an operator's explicit choice to let a station connect without credentials) and id tokens
scoped to an organisation, with a roaming flag for tokens of other networks' drivers

Revision ID: a14s
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "a14s"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing stations without a password are NOT marked unsecured: after this upgrade they are refused until the
    # operator sets a password (`chargeledger station password`) or marks them unsecured (docs/security.md).
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("unsecured", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("id_tokens") as batch:
        batch.add_column(sa.Column("organisation_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("roaming", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_id_tokens_organisation_id", ["organisation_id"])
        batch.create_foreign_key("fk_id_tokens_organisation_id_organisations", "organisations",
                                 ["organisation_id"], ["id"])
    # a token's organisation is its driver's
    op.execute("UPDATE id_tokens SET organisation_id = (SELECT drivers.organisation_id FROM drivers "
               "WHERE drivers.id = id_tokens.driver_id) WHERE driver_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("id_tokens") as batch:
        batch.drop_constraint("fk_id_tokens_organisation_id_organisations", type_="foreignkey")
        batch.drop_index("ix_id_tokens_organisation_id")
        batch.drop_column("roaming")
        batch.drop_column("organisation_id")
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("unsecured")
