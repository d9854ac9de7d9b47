"""settlement rates: operator exchange rates and hourly energy prices

Revision ID: m0n1
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'm0n1'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchange_rates',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('organisation_id', sa.String(length=64), nullable=False),
        sa.Column('from_currency', sa.String(length=3), nullable=False),
        sa.Column('to_currency', sa.String(length=3), nullable=False),
        sa.Column('rate', sa.Numeric(18, 8), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_exchange_rates_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    )
    op.create_index('ix_exchange_rates_pair', 'exchange_rates',
                    ['organisation_id', 'from_currency', 'to_currency', 'valid_from'])
    op.create_table(
        'energy_prices',
        sa.Column('market', sa.String(length=40), nullable=False),
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('price_per_kwh', sa.Numeric(18, 8), nullable=False),
        sa.PrimaryKeyConstraint('market', 'hour', name=op.f('pk_energy_prices')),
    )


def downgrade() -> None:
    op.drop_table('energy_prices')
    op.drop_index('ix_exchange_rates_pair', table_name='exchange_rates')
    op.drop_table('exchange_rates')
