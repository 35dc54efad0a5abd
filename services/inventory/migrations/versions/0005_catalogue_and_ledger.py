"""parts catalogue and the stock movement ledger

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

import aftersales_shared.tables

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('parts',
    sa.Column('part_no', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('list_price', aftersales_shared.tables.ExactDecimal(12, 2), nullable=True),
    sa.Column('returnable', sa.Boolean(), nullable=False),
    sa.Column('superseded_by', sa.String(length=64), nullable=True),
    sa.Column('unit_cost', aftersales_shared.tables.ExactDecimal(14, 4), nullable=False),
    sa.Column('received_qty', sa.BigInteger(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('part_no')
    )
    op.create_table('stock_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site', sa.String(length=32), nullable=False),
    sa.Column('part_no', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on_hand_change', sa.Integer(), nullable=False),
    sa.Column('reserved_change', sa.Integer(), nullable=False),
    sa.Column('unit_cost', aftersales_shared.tables.ExactDecimal(14, 4), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stock_movements_site_part', 'stock_movements', ['site', 'part_no', 'id'])
    op.create_index('ix_stock_movements_at', 'stock_movements', ['site', 'at'])
    # Stock already on the shelves opens the ledger, so the sum of movements still explains every level.
    op.execute(
        "INSERT INTO stock_movements (site, part_no, kind, on_hand_change, reserved_change, unit_cost, reason, at) "
        "SELECT site, part_no, 'opening', on_hand, reserved, unit_cost, 'balance when the ledger began', updated_at "
        "FROM stock_levels WHERE on_hand <> 0 OR reserved <> 0"
    )
    # Parts received before the catalogue existed enter it at the average cost of their receipts.
    op.execute(
        "INSERT INTO parts (part_no, description, category, list_price, returnable, superseded_by, unit_cost, "
        "received_qty, revision, updated_at) "
        "SELECT part_no, part_no, 'uncategorised', NULL, false, NULL, "
        "ROUND(SUM(qty * unit_cost) / SUM(qty), 4), SUM(qty), 0, MAX(received_at) "
        "FROM stock_receipts GROUP BY part_no"
    )


def downgrade() -> None:
    op.drop_index('ix_stock_movements_at', table_name='stock_movements')
    op.drop_index('ix_stock_movements_site_part', table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_table('parts')
