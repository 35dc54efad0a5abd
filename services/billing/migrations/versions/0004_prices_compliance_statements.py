"""part price replica, settlements awaiting a price, compliance flags, periods, statements, deposits

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

import aftersales_shared.tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

MONEY = aftersales_shared.tables.ExactDecimal(12, 2)


def _time(name, nullable=False):
    return sa.Column(name, aftersales_shared.tables.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('document', sa.String(length=10), nullable=False, server_default='job'))
        batch.add_column(sa.Column('service_type', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('category', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch.add_column(_time('completed_at', nullable=True))
        batch.add_column(sa.Column('region', sa.String(length=32), nullable=True))
        batch.create_index(batch.f('ix_settlements_period'), ['period'], unique=False)
    op.create_table(
        'part_prices',
        sa.Column('part_no', sa.String(length=64), nullable=False),
        sa.Column('revision', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_cost', MONEY, nullable=False),
        sa.Column('list_price', MONEY, nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('returnable', sa.Boolean(), nullable=False),
        _time('effective_at'),
        _time('received_at'),
        sa.PrimaryKeyConstraint('part_no', 'revision'),
    )
    op.create_table(
        'awaiting_settlements',
        sa.Column('work_order_id', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.String(length=64), nullable=False),
        sa.Column('payee', sa.String(length=32), nullable=False),
        sa.Column('job', sa.Text(), nullable=False),
        _time('since'),
        sa.PrimaryKeyConstraint('work_order_id'),
    )
    op.create_index(op.f('ix_awaiting_settlements_ticket_id'), 'awaiting_settlements', ['ticket_id'])
    op.create_table(
        'awaiting_parts',
        sa.Column('work_order_id', sa.String(length=64), nullable=False),
        sa.Column('part_no', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['work_order_id'], ['awaiting_settlements.work_order_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('work_order_id', 'part_no'),
    )
    op.create_index(op.f('ix_awaiting_parts_part_no'), 'awaiting_parts', ['part_no'])
    op.create_table(
        'compliance_flags',
        sa.Column('flag_id', sa.String(length=36), nullable=False),
        sa.Column('ticket_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        _time('raised_at'),
        sa.Column('repeat_of', sa.String(length=64), nullable=True),
        sa.Column('penalty_settlement_id', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('flag_id'),
        sa.UniqueConstraint('ticket_id', 'kind', name='uq_compliance_flags_ticket_kind'),
    )
    op.create_index(op.f('ix_compliance_flags_ticket_id'), 'compliance_flags', ['ticket_id'])
    op.create_index(op.f('ix_compliance_flags_repeat_of'), 'compliance_flags', ['repeat_of'])
    op.create_table(
        'periods',
        sa.Column('period', sa.String(length=7), nullable=False),
        _time('closed_at', nullable=True),
        _time('statistics_issued_at', nullable=True),
        sa.PrimaryKeyConstraint('period'),
    )
    op.create_table(
        'statements',
        sa.Column('payee', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        _time('issued_at'),
        sa.PrimaryKeyConstraint('payee', 'period'),
    )
    op.create_table(
        'deposits',
        sa.Column('deposit_id', sa.String(length=36), nullable=False),
        sa.Column('payee', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        _time('recorded_at'),
        sa.PrimaryKeyConstraint('deposit_id'),
    )


def downgrade() -> None:
    op.drop_table('deposits')
    op.drop_table('statements')
    op.drop_table('periods')
    op.drop_index(op.f('ix_compliance_flags_repeat_of'), table_name='compliance_flags')
    op.drop_index(op.f('ix_compliance_flags_ticket_id'), table_name='compliance_flags')
    op.drop_table('compliance_flags')
    op.drop_index(op.f('ix_awaiting_parts_part_no'), table_name='awaiting_parts')
    op.drop_table('awaiting_parts')
    op.drop_index(op.f('ix_awaiting_settlements_ticket_id'), table_name='awaiting_settlements')
    op.drop_table('awaiting_settlements')
    op.drop_table('part_prices')
    with op.batch_alter_table('settlements') as batch:
        batch.drop_index(batch.f('ix_settlements_period'))
        for column in ('region', 'completed_at', 'outcome', 'category', 'service_type', 'document'):
            batch.drop_column(column)
