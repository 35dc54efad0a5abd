"""work order lifecycles, engineers' status, skills, load and fix history, SLA clocks and site calendars

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


def _time():
    return aftersales_shared.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('engineers') as batch:
        batch.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='available'))
        batch.add_column(sa.Column('shift_start', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('shift_end', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('load', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch.create_index('ix_engineers_region_status', ['region', 'status', 'load'])
    op.execute("UPDATE engineers SET status = 'off' WHERE NOT available")
    op.execute("UPDATE engineers SET load = (SELECT count(*) FROM work_orders w "
               "WHERE w.engineer_id = engineers.engineer_id AND w.status = 'assigned')")

    op.create_table(
        'engineer_skills',
        sa.Column('engineer_id', sa.String(length=64), primary_key=True),
        sa.Column('skill', sa.String(length=200), primary_key=True),
        sa.Column('site', sa.String(length=32), nullable=False),
        sa.Column('region', sa.String(length=32), nullable=False),
    )
    op.create_index('ix_engineer_skills_site', 'engineer_skills', ['skill', 'site'])
    op.create_index('ix_engineer_skills_region', 'engineer_skills', ['skill', 'region'])
    op.create_table(
        'engineer_fixes',
        sa.Column('engineer_id', sa.String(length=64), primary_key=True),
        sa.Column('symptom_code', sa.String(length=100), primary_key=True),
        sa.Column('fixes', sa.Integer(), nullable=False),
    )
    op.create_index('ix_engineer_fixes_symptom', 'engineer_fixes', ['symptom_code'])

    with op.batch_alter_table('work_orders') as batch:
        batch.add_column(sa.Column('symptom_code', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('parts_expected', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('quote_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('repeat_of', sa.String(length=100), nullable=True))
        for name in ('accepted_at', 'assigned_at', 'engineer_accepted_at', 'departed_at', 'on_site_at',
                     'received_at'):
            batch.add_column(sa.Column(name, _time(), nullable=True))
        batch.add_column(sa.Column('resume_status', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('assignment_score', sa.Float(), nullable=True))
        batch.add_column(sa.Column('assignment_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('unassigned_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('declined_by', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('end_reason', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('travel_km', sa.Float(), nullable=True))
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=sa.text('0')))
    op.execute("UPDATE work_orders SET accepted_at = ticket_created_at, assigned_at = dispatched_at")

    op.create_table(
        'work_order_transitions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('work_order_id', sa.String(length=36), nullable=False),
        sa.Column('at', _time(), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('engineer_id', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.String(length=1000), nullable=True),
    )
    op.create_index('ix_work_order_transitions_wo', 'work_order_transitions', ['work_order_id', 'id'])
    op.create_table(
        'sla_clocks',
        sa.Column('work_order_id', sa.String(length=36), primary_key=True),
        sa.Column('clock', sa.String(length=10), primary_key=True),
        sa.Column('ticket_id', sa.String(length=100), nullable=False),
        sa.Column('site', sa.String(length=32), nullable=False),
        sa.Column('region', sa.String(length=32), nullable=False),
        sa.Column('started_at', _time(), nullable=True),
        sa.Column('deadline', _time(), nullable=True),
        sa.Column('stopped_at', _time(), nullable=True),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('breached_at', _time(), nullable=True),
    )
    op.create_index('ix_sla_clocks_due', 'sla_clocks', ['breached_at', 'deadline'])
    op.create_index('ix_sla_clocks_site', 'sla_clocks', ['site', 'breached_at'])
    op.create_table(
        'site_calendars',
        sa.Column('site', sa.String(length=32), primary_key=True),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('hours', sa.JSON(), nullable=False),
        sa.Column('holidays', sa.JSON(), nullable=False),
        sa.Column('updated_at', _time(), nullable=False),
    )
    op.create_table(
        'ticket_facts',
        sa.Column('ticket_id', sa.String(length=100), primary_key=True),
        sa.Column('quote_accepted_at', _time(), nullable=True),
        sa.Column('cancelled_at', _time(), nullable=True),
        sa.Column('cancel_reason', sa.String(length=1000), nullable=True),
    )


def downgrade() -> None:
    for table in ('ticket_facts', 'site_calendars', 'sla_clocks', 'work_order_transitions', 'engineer_fixes',
                  'engineer_skills'):
        op.drop_table(table)
    with op.batch_alter_table('work_orders') as batch:
        for name in ('version', 'travel_km', 'end_reason', 'declined_by', 'unassigned_reason', 'assignment_reason',
                     'assignment_score', 'resume_status', 'received_at', 'on_site_at', 'departed_at',
                     'engineer_accepted_at', 'assigned_at', 'accepted_at', 'repeat_of', 'quote_required',
                     'parts_expected', 'symptom_code'):
            batch.drop_column(name)
    with op.batch_alter_table('engineers') as batch:
        batch.drop_index('ix_engineers_region_status')
        for name in ('load', 'shift_end', 'shift_start', 'status'):
            batch.drop_column(name)
