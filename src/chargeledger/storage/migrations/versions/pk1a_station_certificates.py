"""station_certificates (certificates the operator's CA issued to stations) and stations.security_profile

Revision ID: pk1a
Revises: oc1c
"""
from alembic import op
import sqlalchemy as sa

revision = "pk1a"
down_revision = "oc1c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_certificates",
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("certificate_type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_station_certificates_station_id_stations")),
        sa.PrimaryKeyConstraint("serial_number", name=op.f("pk_station_certificates")),
    )
    op.create_index("ix_station_certificates_station_id", "station_certificates", ["station_id"])
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("security_profile", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("security_profile")
    op.drop_index("ix_station_certificates_station_id", "station_certificates")
    op.drop_table("station_certificates")
