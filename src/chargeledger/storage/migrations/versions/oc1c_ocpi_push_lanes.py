"""ocpi_pushes.lane: a partner's pushes go out in parallel lanes, each in order (one object's pushes share a lane)

Revision ID: oc1c
Revises: o16e
"""
from alembic import op
import sqlalchemy as sa

revision = "oc1c"
down_revision = "o16e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ocpi_pushes") as batch:
        batch.add_column(sa.Column("lane", sa.SmallInteger(), nullable=False, server_default="0"))
    op.drop_index("ix_ocpi_pushes_partner_state", table_name="ocpi_pushes")
    op.create_index("ix_ocpi_pushes_partner_state", "ocpi_pushes", ["partner_id", "state", "lane", "id"])


def downgrade() -> None:
    op.drop_index("ix_ocpi_pushes_partner_state", table_name="ocpi_pushes")
    op.create_index("ix_ocpi_pushes_partner_state", "ocpi_pushes", ["partner_id", "state", "id"])
    with op.batch_alter_table("ocpi_pushes") as batch:
        batch.drop_column("lane")
