"""Dispatch's own schema (its database only)."""
from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table

from aftersales_shared.idempotency import idempotency_table
from aftersales_shared.tables import UtcDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)

engineers = Table(
    "engineers",
    metadata,
    Column("engineer_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("site", String(32), nullable=False, index=True),
    Column("region", String(32), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("available", Boolean, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
)

work_orders = Table(
    "work_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    # One work order per ticket, however often TicketCreated is delivered.
    Column("ticket_id", String(100), nullable=False, unique=True),
    Column("site", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("service_type", String(20), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("product_model", String(200), nullable=False),
    Column("product_serial", String(200), nullable=False),
    Column("product_category", String(200), nullable=False),
    Column("purchase_date", Date),
    Column("batch", String(200)),
    Column("warranty_status", String(20), nullable=False),
    Column("respond_by", UtcDateTime(), nullable=False),
    Column("resolve_by", UtcDateTime(), nullable=False),
    Column("ticket_created_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("engineer_id", String(64)),
    Column("dispatched_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    Column("outcome", String(20)),
    Column("labour_minutes", Integer),
    Column("parts_used", JSON),
    Column("failure", JSON),
    Column("completed_warranty_status", String(20)),
    Column("customer_signed", Boolean),
    Column("arrived_at", UtcDateTime()),
    Column("satisfaction", Integer),
    Index("ix_work_orders_site_status", "site", "status", "ticket_created_at"),
    Index("ix_work_orders_engineer_status", "engineer_id", "status"),
)

# Kept per ticket rather than on the work order, so a report that overtakes TicketCreated is not lost
# and a report and a new work order written at the same moment cannot miss each other.
parts_reports = Table(
    "parts_reports",
    metadata,
    Column("ticket_id", String(100), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("reservation_id", String(100)),
    Column("reported_at", UtcDateTime(), nullable=False),
)
