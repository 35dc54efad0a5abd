"""idempotency keys kept as every service keeps them: the first answer, for any request

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Keys taken before were all for new tickets; their replay reads the ticket they point at.
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=200), nullable=False,
                                      server_default='POST /api/v1/tickets'))
        batch_op.add_column(sa.Column('status_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('response', sa.JSON(), nullable=True))
        batch_op.alter_column('ticket_id', new_column_name='resource_id', existing_type=sa.String(length=36),
                              type_=sa.String(length=64), nullable=True)
    op.execute("UPDATE idempotency_keys SET status_code = 201")
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=200), server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE resource_id IS NULL OR scope <> 'POST /api/v1/tickets'")
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('resource_id', new_column_name='ticket_id', existing_type=sa.String(length=64),
                              type_=sa.String(length=36), nullable=False)
        batch_op.drop_column('response')
        batch_op.drop_column('status_code')
        batch_op.drop_column('scope')
