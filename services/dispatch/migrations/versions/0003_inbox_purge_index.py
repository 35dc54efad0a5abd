"""inbox ids are purged by age

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_inbox_received_at', 'inbox', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_inbox_received_at', table_name='inbox')
