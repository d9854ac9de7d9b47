"""Join the adapters' migration branches (settlement rates, report setups, list indexes) into one head.

Revision ID: 0003
Revises: m0n1, r5a1, l1st
"""

revision = "0003"
down_revision = ("m0n1", "r5a1", "l1st")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
