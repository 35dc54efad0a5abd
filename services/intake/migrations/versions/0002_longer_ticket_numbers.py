"""ticket numbers of the longest site codes fit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('ticket_no', existing_type=sa.String(length=40), type_=sa.String(length=64),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('ticket_no', existing_type=sa.String(length=64), type_=sa.String(length=40),
                              existing_nullable=False)
