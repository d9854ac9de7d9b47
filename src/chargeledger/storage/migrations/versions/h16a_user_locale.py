"""Each user's locale (users.locale, e.g. de_DE, en_US), for amounts on the pages; empty: the browser's
Accept-Language decides

Revision ID: h16a
Revises: pk1a
"""
from alembic import op
import sqlalchemy as sa

revision = "h16a"
down_revision = "pk1a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
