"""ocpi_partners, ocpi_pushes, evse_states: live OCPI 2.2.1 partners, their push queue, EVSE status

Revision ID: oc1a
Revises: a14o2
"""
from alembic import op
import sqlalchemy as sa

from chargeledger.storage.schema_types import BigId, Json, UtcDateTime

revision = "oc1a"
down_revision = "a14o2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ocpi_partners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("our_country_code", sa.String(length=2), nullable=False),
        sa.Column("our_party_id", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token_a_hash", sa.String(length=64), nullable=True),
        sa.Column("token_c_hash", sa.String(length=64), nullable=True),
        sa.Column("their_token", sa.String(length=64), nullable=True),
        sa.Column("their_versions_url", sa.String(length=255), nullable=True),
        sa.Column("version", sa.String(length=8), nullable=True),
        sa.Column("endpoints", Json, nullable=True),
        sa.Column("roles", Json, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_ocpi_partners_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpi_partners")),
        sa.UniqueConstraint("token_a_hash", name=op.f("uq_ocpi_partners_token_a_hash")),
        sa.UniqueConstraint("token_c_hash", name=op.f("uq_ocpi_partners_token_c_hash")),
    )
    op.create_index("ix_ocpi_partners_organisation_id", "ocpi_partners", ["organisation_id"])
    op.create_table(
        "ocpi_pushes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=160), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=400), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("body", Json, nullable=True),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["ocpi_partners.id"],
                                name=op.f("fk_ocpi_pushes_partner_id_ocpi_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpi_pushes")),
        sa.UniqueConstraint("key", name=op.f("uq_ocpi_pushes_key")),
    )
    op.create_index("ix_ocpi_pushes_partner_state", "ocpi_pushes", ["partner_id", "state", "id"])
    op.create_table(
        "evse_states",
        sa.Column("evse_id", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evse_id"], ["evses.evse_id"], name=op.f("fk_evse_states_evse_id_evses")),
        sa.PrimaryKeyConstraint("evse_id", name=op.f("pk_evse_states")),
    )
    # EVSEs that exist already are published as UNKNOWN until their charger reports a status
    op.execute("INSERT INTO evse_states (evse_id, status, updated_at) SELECT evse_id, 'UNKNOWN', CURRENT_TIMESTAMP "
               "FROM evses")


def downgrade() -> None:
    op.drop_table("evse_states")
    op.drop_index("ix_ocpi_pushes_partner_state", table_name="ocpi_pushes")
    op.drop_table("ocpi_pushes")
    op.drop_index("ix_ocpi_partners_organisation_id", table_name="ocpi_partners")
    op.drop_table("ocpi_partners")
