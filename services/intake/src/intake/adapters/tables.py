"""Intake's own schema (its database only)."""
from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from aftersales_shared.idempotency import idempotency_table
from aftersales_shared.tables import UtcDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(36), primary_key=True),
    # Site code (up to 32) without its dashes, the day and a sequence that may outgrow four digits.
    Column("ticket_no", String(64), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("partner_id", String(64)),
    Column("service_type", String(20), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("site", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("customer_name", String(200), nullable=False),
    Column("customer_phone", String(40), nullable=False),
    Column("customer_address", String(500)),
    Column("product_model", String(100), nullable=False),
    Column("product_serial", String(100), nullable=False, index=True),
    Column("product_category", String(100), nullable=False),
    Column("purchase_date", Date),
    Column("batch", String(100)),
    Column("symptom_code", String(100)),
    Column("fault_description", Text, nullable=False),
    Column("first_open_failure", Boolean, nullable=False),
    Column("parts", JSON, nullable=False),
    Column("warranty_status", String(20), nullable=False),
    Column("warranty_expires_on", Date),
    Column("respond_by", UtcDateTime(), nullable=False),
    Column("resolve_by", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

timeline = Table(
    "timeline",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("source", String(100), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_timeline_ticket", "ticket_id", "occurred_at"),
)

idempotency_keys = idempotency_table(metadata)

ticket_sequences = Table(
    "ticket_sequences",
    metadata,
    Column("site", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("last_value", Integer, nullable=False),
    UniqueConstraint("site", "day", name="uq_ticket_sequences_site_day"),
)
