"""the closed loop: incidents with site, repeat link and flags; problems with their audit trail; a data
version per model for cached fits

Revision ID: 0005
Revises: 0004
"""
from datetime import timezone

from alembic import op
import sqlalchemy as sa

import aftersales_shared.tables

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('repeat_of', sa.String(length=64), nullable=True))
    with op.batch_alter_table('failure_records') as batch:
        batch.add_column(sa.Column('site', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('region', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('repeat_of', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('relevant', sa.Boolean(), server_default='0', nullable=False))
        batch.add_column(sa.Column('chargeable', sa.Boolean(), server_default='0', nullable=False))
        batch.add_column(sa.Column('failed_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('registered_model', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('registered_purchase_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('registered_batch', sa.String(length=100), nullable=True))
        batch.create_index('ix_failure_records_relevant_model', ['relevant', 'model'])
    # Reports recorded before the loop existed: a failing outcome was relevant and chargeable.
    op.execute("UPDATE failure_records SET relevant = outcome IN ('repaired', 'replaced', 'unrepairable'), "
               "chargeable = outcome IN ('repaired', 'replaced', 'unrepairable')")
    records = sa.table('failure_records', sa.column('work_order_id', sa.String()),
                       sa.column('completed_at', aftersales_shared.tables.UtcDateTime(timezone=True)),
                       sa.column('failed_on', sa.Date()))
    connection = op.get_bind()
    for work_order_id, completed_at in connection.execute(sa.select(records.c.work_order_id, records.c.completed_at)).all():
        connection.execute(records.update().where(records.c.work_order_id == work_order_id)
                           .values(failed_on=completed_at.astimezone(timezone.utc).date()))
    for column in ('model', 'purchase_date', 'batch'):
        op.execute(f"UPDATE failure_records SET registered_{column} = (SELECT installed_units.{column} "
                   "FROM installed_units WHERE installed_units.serial = failure_records.serial)")
    op.create_table(
        'installed_counts',
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('purchase_date', sa.Date(), nullable=False),
        sa.Column('batch', sa.String(length=100), nullable=False),
        sa.Column('units', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('model', 'purchase_date', 'batch'),
    )
    op.execute("INSERT INTO installed_counts (model, purchase_date, batch, units) "
               "SELECT model, purchase_date, COALESCE(batch, ''), COUNT(*) FROM installed_units "
               "GROUP BY model, purchase_date, COALESCE(batch, '')")
    op.create_table(
        'problems',
        sa.Column('problem_id', sa.String(length=64), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('part_no', sa.String(length=64), nullable=True),
        sa.Column('failure_mode', sa.String(length=100), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=100), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('root_cause', sa.Text(), nullable=True),
        sa.Column('corrective_action', sa.Text(), nullable=True),
        sa.Column('effective_date', sa.Date(), nullable=True),
        sa.Column('effective', sa.Boolean(), nullable=True),
        sa.Column('opened_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('closed_at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column('reopened', sa.Integer(), server_default='0', nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('problem_id'),
    )
    op.create_index('ix_problems_group', 'problems', ['model', 'part_no', 'failure_mode'])
    op.create_table(
        'problem_audit',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('problem_id', sa.String(length=64), nullable=False),
        sa.Column('at', aftersales_shared.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('from_status', sa.String(length=32), nullable=True),
        sa.Column('to_status', sa.String(length=32), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['problem_id'], ['problems.problem_id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_problem_audit_problem_id', 'problem_audit', ['problem_id'])
    op.create_table(
        'reliability_versions',
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('model'),
    )


def downgrade() -> None:
    op.drop_table('reliability_versions')
    op.drop_table('installed_counts')
    op.drop_index('ix_problem_audit_problem_id', table_name='problem_audit')
    op.drop_table('problem_audit')
    op.drop_index('ix_problems_group', table_name='problems')
    op.drop_table('problems')
    with op.batch_alter_table('failure_records') as batch:
        batch.drop_index('ix_failure_records_relevant_model')
        for column in ('registered_batch', 'registered_purchase_date', 'registered_model', 'failed_on', 'chargeable', 'relevant', 'repeat_of', 'region', 'site'):
            batch.drop_column(column)
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('repeat_of')
