"""faulty parts back from engineers, RMAs to suppliers and their follow-ups

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

import aftersales_shared.tables

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faulty_parts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ticket_id', sa.String(length=200), nullable=False),
    sa.Column('part_no', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('faulty_serial', sa.String(length=100), nullable=True),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expected_by', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('supplier', sa.String(length=100), nullable=True),
    sa.Column('rma_no', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_faulty_parts_status', 'faulty_parts', ['status', 'expected_by'])
    op.create_index('ix_faulty_parts_ticket', 'faulty_parts', ['ticket_id'])
    op.create_table('rma_follow_ups',
    sa.Column('faulty_part_id', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('due_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['faulty_part_id'], ['faulty_parts.id'], ),
    sa.PrimaryKeyConstraint('faulty_part_id', 'day')
    )
    op.create_index('ix_rma_follow_ups_due', 'rma_follow_ups', ['fired_at', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_rma_follow_ups_due', table_name='rma_follow_ups')
    op.drop_table('rma_follow_ups')
    op.drop_index('ix_faulty_parts_ticket', table_name='faulty_parts')
    op.drop_index('ix_faulty_parts_status', table_name='faulty_parts')
    op.drop_table('faulty_parts')
