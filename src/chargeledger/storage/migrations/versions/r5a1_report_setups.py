"""payout accounts, reimbursement agreements and revenue shares (reports and CDR exports)

Revision ID: r5a1
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'r5a1'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payout_accounts',
        sa.Column('organisation_id', sa.String(length=64), nullable=False),
        sa.Column('bank_account', sa.String(length=64), nullable=False),
        sa.Column('automatic_transfer', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_payout_accounts_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_payout_accounts')),
    )
    op.create_table(
        'reimbursement_agreements',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('payee', sa.String(length=200), nullable=False),
        sa.Column('payee_account', sa.String(length=64), nullable=True),
        sa.Column('rate_per_kwh', sa.Numeric(18, 6), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id'],
                                name=op.f('fk_reimbursement_agreements_station_id_stations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reimbursement_agreements')),
    )
    op.create_index(op.f('ix_reimbursement_agreements_station_id'), 'reimbursement_agreements', ['station_id'])
    op.create_table(
        'revenue_shares',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('station_id', sa.String(length=64), nullable=False),
        sa.Column('site_owner', sa.String(length=200), nullable=False),
        sa.Column('owner_percentage', sa.Numeric(7, 4), nullable=False),
        sa.Column('owner_per_kwh', sa.Numeric(18, 6), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_revenue_shares_station_id_stations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_shares')),
    )
    op.create_index(op.f('ix_revenue_shares_station_id'), 'revenue_shares', ['station_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_revenue_shares_station_id'), table_name='revenue_shares')
    op.drop_table('revenue_shares')
    op.drop_index(op.f('ix_reimbursement_agreements_station_id'), table_name='reimbursement_agreements')
    op.drop_table('reimbursement_agreements')
    op.drop_table('payout_accounts')
