"""reservations wait for quotes, transfers and receipts; sites with their region and deposit

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import aftersales_shared.tables

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reservations') as batch:
        batch.add_column(sa.Column('region', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('requested_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('reason', sa.String(length=300), nullable=True))
        batch.create_index('ix_reservations_open', ['site', 'status', 'requested_at'])
    with op.batch_alter_table('reservation_lines') as batch:
        batch.add_column(sa.Column('held', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE reservation_lines SET held = qty WHERE reservation_id IN "
               "(SELECT id FROM reservations WHERE status = 'held')")
    op.create_table('sites',
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('deposit', aftersales_shared.tables.ExactDecimal(14, 2), nullable=True),
    sa.Column('updated_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('site')
    )
    op.create_index('ix_sites_region', 'sites', ['region'])
    op.create_table('transfers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('part_no', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('from_site', sa.String(length=32), nullable=False),
    sa.Column('to_site', sa.String(length=32), nullable=False),
    sa.Column('unit_cost', aftersales_shared.tables.ExactDecimal(14, 4), nullable=False),
    sa.Column('ticket_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('shipped_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_transfers_to_site', 'transfers', ['to_site', 'status'])
    op.create_index('ix_transfers_ticket', 'transfers', ['ticket_id'])
    op.create_table('ticket_signals',
    sa.Column('ticket_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('ticket_signals')
    op.drop_index('ix_transfers_ticket', table_name='transfers')
    op.drop_index('ix_transfers_to_site', table_name='transfers')
    op.drop_table('transfers')
    op.drop_index('ix_sites_region', table_name='sites')
    op.drop_table('sites')
    with op.batch_alter_table('reservation_lines') as batch:
        batch.drop_column('held')
    with op.batch_alter_table('reservations') as batch:
        batch.drop_index('ix_reservations_open')
        batch.drop_column('reason')
        batch.drop_column('requested_at')
        batch.drop_column('region')
