"""stations.security_profile_asked: a raise the station accepted, read at its handshake without another query

Revision ID: pk1b
Revises: oc2a
"""
from alembic import op
import sqlalchemy as sa

revision = "pk1b"
down_revision = "oc2a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("security_profile_asked", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("security_profile_asked")
