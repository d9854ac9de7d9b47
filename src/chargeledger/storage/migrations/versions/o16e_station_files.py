"""station_files: diagnostics and logs stations uploaded to our upload endpoint

Revision ID: o16e
Revises: o16d
"""
from alembic import op
import sqlalchemy as sa

revision = "o16e"
down_revision = "o16d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_station_files_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_files")),
    )
    op.create_index("ix_station_files_station_id", "station_files", ["station_id"])


def downgrade() -> None:
    op.drop_index("ix_station_files_station_id", "station_files")
    op.drop_table("station_files")
