"""id_tokens as the operator's token book: unique per organisation and case-insensitive (uid_key), with a type,
a group id (parentIdTag), a team as owner and the time of the last change

The uid was the primary key across every organisation; two operators may hand out the same card number, so the
table is rebuilt with a surrogate key. Rows are copied; a uid that differs only in case within one organisation
(which OCPP treats as the same token) keeps its first row.

Revision ID: o16a
Revises: oc1a
"""
from alembic import op
import sqlalchemy as sa

revision = "o16a"
down_revision = "oc1a"
branch_labels = None
depends_on = None

_OLD = ("uid", "driver_id", "contract_id", "status", "expires_at", "organisation_id", "roaming")


def _read(order: str) -> list[dict]:
    """The rows of the columns both shapes share, typed (SQLite hands back text for times otherwise)."""
    columns = [sa.column(name, sa.DateTime(timezone=True) if name == "expires_at" else
                         sa.Boolean() if name == "roaming" else sa.String()) for name in _OLD]
    query = sa.select(*columns).select_from(sa.table("id_tokens", *columns)).order_by(sa.column(order))
    return [dict(row) for row in op.get_bind().execute(query).mappings()]


def upgrade() -> None:
    rows = _read("uid")
    op.drop_table("id_tokens")
    table = op.create_table(
        "id_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("uid_key", sa.String(length=64), nullable=False),
        sa.Column("token_type", sa.String(length=16), nullable=False, server_default="ISO14443"),
        sa.Column("driver_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("contract_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("roaming", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["driver_id"], ["drivers.id"], name=op.f("fk_id_tokens_driver_id_drivers")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_id_tokens_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_id_tokens_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_tokens")),
        sa.UniqueConstraint("organisation_id", "uid_key", name="uq_id_tokens_organisation_uid"),
    )
    for column in ("organisation_id", "uid_key", "driver_id", "contract_id"):
        op.create_index(f"ix_id_tokens_{column}", "id_tokens", [column])
    seen, copied = set(), []
    for row in rows:
        key = (row["organisation_id"], row["uid"].lower())
        if key not in seen:
            seen.add(key)
            copied.append({**row, "uid_key": row["uid"].lower(), "roaming": bool(row["roaming"])})
    if copied:
        op.bulk_insert(table, copied)


def downgrade() -> None:
    rows = _read("id")
    op.drop_table("id_tokens")
    table = op.create_table(
        "id_tokens",
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("driver_id", sa.String(length=64), nullable=True),
        sa.Column("contract_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("roaming", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["driver_id"], ["drivers.id"], name=op.f("fk_id_tokens_driver_id_drivers")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_id_tokens_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_id_tokens")),
    )
    for column in ("organisation_id", "driver_id", "contract_id"):
        op.create_index(f"ix_id_tokens_{column}", "id_tokens", [column])
    unique = {row["uid"]: dict(row) for row in reversed(rows)}  # one row per uid: the earliest wins
    if unique:
        op.bulk_insert(table, list(unique.values()))
