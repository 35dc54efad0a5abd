"""Intake's own schema (its database only)."""
from sqlalchemy import (
    JSON, Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, MetaData, Numeric, String, Table, Text,
    UniqueConstraint, false, true,
)

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
    # The lifecycle (domain.lifecycle); tickets from before it was kept had all gone on to dispatch.
    Column("state", String(24), nullable=False, server_default="awaiting_dispatch"),
    Column("quote_required", Boolean, nullable=False, server_default=false()),
    Column("repeat_of", String(36)),
    Column("dispatched", Boolean, nullable=False, server_default=true()),
    Column("parts_reserved", Boolean, nullable=False, server_default=false()),
    Column("quote_amount", Numeric(12, 2)),
    Column("quote_valid_until", UtcDateTime()),
    Column("quote_issued_at", UtcDateTime()),
    Column("quote_accepted_at", UtcDateTime()),
    Column("escalation", JSON),
    Column("escalation_deadline", UtcDateTime()),
    Column("callback_attempts", Integer, nullable=False, server_default="0"),
    Column("resolution", String(24)),
    Column("kb_article_id", String(36)),
    Column("warranty_reason", String(200)),
    Column("proof_of_purchase", String(20)),
    Column("fault_kind", String(10), nullable=False, server_default="hardware"),
    Column("fault_conditions", JSON),
    Index("ix_tickets_desk", "site", "state", "created_at", "id"),
    Index("ix_tickets_resolve_by", "resolve_by", "id"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    # Digits (and a leading +) only, so "+86 138-0013 8000" and "+8613800138000" are one customer.
    Column("phone", String(40), nullable=False, unique=True),
    Column("address", String(500)),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_customers_name", "name"),
)

units = Table(
    "units",
    metadata,
    Column("serial", String(100), primary_key=True),
    Column("model", String(100), nullable=False),
    Column("category", String(100), nullable=False),
    Column("purchase_date", Date),
    Column("batch", String(100)),
    Column("customer_id", String(36), index=True),
    # The latest ticket for the unit: what a repeat call is linked to.
    Column("last_ticket_id", String(36)),
    Column("last_ticket_at", UtcDateTime()),
)

partners = Table(
    "partners",
    metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sites", JSON, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

partner_secrets = Table(
    "partner_secrets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", String(64), ForeignKey("partners.partner_id"), nullable=False, index=True),
    # Fernet token of the secret: readable only with the key from the environment.
    Column("secret_encrypted", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("retired_at", UtcDateTime()),
)

partner_receipts = Table(
    "partner_receipts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("symptom_code", String(100), index=True),
    Column("title", String(200), nullable=False),
    Column("symptoms", Text, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("likely_parts", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("source_ticket_id", String(36)),
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
    Column("change", JSON),
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
