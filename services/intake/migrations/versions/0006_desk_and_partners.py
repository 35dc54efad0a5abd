"""ticket lifecycle, customers and units, partner dealers, knowledge base

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

UTC = aftersales_shared.tables.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        # Tickets from before the lifecycle was kept had all gone on to dispatch.
        batch.add_column(sa.Column('state', sa.String(24), nullable=False, server_default='awaiting_dispatch'))
        batch.add_column(sa.Column('quote_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('repeat_of', sa.String(36)))
        batch.add_column(sa.Column('dispatched', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('parts_reserved', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('quote_amount', sa.Numeric(12, 2)))
        batch.add_column(sa.Column('quote_valid_until', UTC(timezone=True)))
        batch.add_column(sa.Column('quote_issued_at', UTC(timezone=True)))
        batch.add_column(sa.Column('quote_accepted_at', UTC(timezone=True)))
        batch.add_column(sa.Column('escalation', sa.JSON()))
        batch.add_column(sa.Column('escalation_deadline', UTC(timezone=True)))
        batch.add_column(sa.Column('callback_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('resolution', sa.String(24)))
        batch.add_column(sa.Column('kb_article_id', sa.String(36)))
        batch.add_column(sa.Column('warranty_reason', sa.String(200)))
        batch.add_column(sa.Column('proof_of_purchase', sa.String(20)))
        batch.add_column(sa.Column('fault_kind', sa.String(10), nullable=False, server_default='hardware'))
        batch.add_column(sa.Column('fault_conditions', sa.JSON()))
        batch.create_index('ix_tickets_desk', ['site', 'state', 'created_at', 'id'])
        batch.create_index('ix_tickets_resolve_by', ['resolve_by', 'id'])
    with op.batch_alter_table('timeline') as batch:
        batch.add_column(sa.Column('change', sa.JSON()))
    op.create_table(
        'customers',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('phone', sa.String(40), nullable=False, unique=True),
        sa.Column('address', sa.String(500)),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
    )
    op.create_index('ix_customers_name', 'customers', ['name'])
    op.create_table(
        'units',
        sa.Column('serial', sa.String(100), primary_key=True),
        sa.Column('model', sa.String(100), nullable=False),
        sa.Column('category', sa.String(100), nullable=False),
        sa.Column('purchase_date', sa.Date()),
        sa.Column('batch', sa.String(100)),
        sa.Column('customer_id', sa.String(36)),
        sa.Column('last_ticket_id', sa.String(36)),
        sa.Column('last_ticket_at', UTC(timezone=True)),
    )
    op.create_index('ix_units_customer_id', 'units', ['customer_id'])
    op.create_table(
        'partners',
        sa.Column('partner_id', sa.String(64), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('sites', sa.JSON(), nullable=False),
        sa.Column('event_types', sa.JSON(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
    )
    op.create_table(
        'partner_secrets',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('partner_id', sa.String(64), sa.ForeignKey('partners.partner_id'), nullable=False),
        sa.Column('secret_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('retired_at', UTC(timezone=True)),
    )
    op.create_index('ix_partner_secrets_partner_id', 'partner_secrets', ['partner_id'])
    op.create_table(
        'partner_receipts',
        sa.Column('event_id', sa.String(36), primary_key=True),
        sa.Column('partner_id', sa.String(64), nullable=False),
        sa.Column('received_at', UTC(timezone=True), nullable=False),
    )
    op.create_table(
        'kb_articles',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('symptom_code', sa.String(100)),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('symptoms', sa.Text(), nullable=False),
        sa.Column('steps', sa.JSON(), nullable=False),
        sa.Column('likely_parts', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('source_ticket_id', sa.String(36)),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
    )
    op.create_index('ix_kb_articles_symptom_code', 'kb_articles', ['symptom_code'])


def downgrade() -> None:
    op.drop_table('kb_articles')
    op.drop_table('partner_receipts')
    op.drop_index('ix_partner_secrets_partner_id', 'partner_secrets')
    op.drop_table('partner_secrets')
    op.drop_table('partners')
    op.drop_index('ix_units_customer_id', 'units')
    op.drop_table('units')
    op.drop_index('ix_customers_name', 'customers')
    op.drop_table('customers')
    with op.batch_alter_table('timeline') as batch:
        batch.drop_column('change')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index('ix_tickets_resolve_by')
        batch.drop_index('ix_tickets_desk')
        for column in ('fault_conditions', 'fault_kind', 'proof_of_purchase', 'warranty_reason', 'kb_article_id',
                       'resolution', 'callback_attempts', 'escalation_deadline', 'escalation', 'quote_accepted_at',
                       'quote_issued_at', 'quote_valid_until', 'quote_amount', 'parts_reserved', 'dispatched',
                       'repeat_of', 'quote_required', 'state'):
            batch.drop_column(column)
