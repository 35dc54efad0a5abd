"""inbox and outbox keep each event's flow, so a ticket's story can be told

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


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('correlation_id', sa.String(length=200), nullable=True))
        batch.create_index('ix_outbox_correlation', ['correlation_id'])
    with op.batch_alter_table('inbox') as batch:
        batch.add_column(sa.Column('occurred_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('correlation_id', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('causation_id', sa.String(length=200), nullable=True))
        batch.create_index('ix_inbox_correlation', ['correlation_id'])


def downgrade() -> None:
    with op.batch_alter_table('inbox') as batch:
        batch.drop_index('ix_inbox_correlation')
        batch.drop_column('causation_id')
        batch.drop_column('correlation_id')
        batch.drop_column('occurred_at')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_index('ix_outbox_correlation')
        batch.drop_column('correlation_id')
