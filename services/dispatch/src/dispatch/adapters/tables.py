"""Dispatch's own schema (its database only)."""
from sqlalchemy import JSON, Boolean, Column, Date, Float, Index, Integer, MetaData, String, Table, false, text

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
    Column("status", String(10), nullable=False, server_default="available"),
    Column("shift_start", String(5)),
    Column("shift_end", String(5)),
    # Open work orders, kept here (changed by relative updates under the row lock) so no count is needed.
    Column("load", Integer, nullable=False, server_default=text("0")),
    Index("ix_engineers_region_status", "region", "status", "load"),
)

# One row per skill, carrying the site and region, so candidates come from an index, never a scan.
engineer_skills = Table(
    "engineer_skills",
    metadata,
    Column("engineer_id", String(64), primary_key=True),
    Column("skill", String(200), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Index("ix_engineer_skills_site", "skill", "site"),
    Index("ix_engineer_skills_region", "skill", "region"),
)

# Who fixed which symptom before (counted from the jobs they completed).
engineer_fixes = Table(
    "engineer_fixes",
    metadata,
    Column("engineer_id", String(64), primary_key=True),
    Column("symptom_code", String(100), primary_key=True),
    Column("fixes", Integer, nullable=False),
    Index("ix_engineer_fixes_symptom", "symptom_code"),
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
    Column("symptom_code", String(100)),
    Column("parts_expected", Boolean, nullable=False, server_default=false()),
    Column("quote_required", Boolean, nullable=False, server_default=false()),
    Column("repeat_of", String(100)),
    Column("accepted_at", UtcDateTime()),
    Column("resume_status", String(20)),
    Column("assigned_at", UtcDateTime()),
    Column("engineer_accepted_at", UtcDateTime()),
    Column("departed_at", UtcDateTime()),
    Column("on_site_at", UtcDateTime()),
    Column("received_at", UtcDateTime()),
    Column("assignment_score", Float),
    Column("assignment_reason", String(500)),
    Column("unassigned_reason", String(500)),
    Column("declined_by", JSON),
    Column("end_reason", String(1000)),
    Column("travel_km", Float),
    # Optimistic check on every save: a writer that read an older version loses instead of overwriting.
    Column("version", Integer, nullable=False, server_default=text("0")),
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


# Every step of every work order: the record the SLA clocks are derived from.
work_order_transitions = Table(
    "work_order_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("work_order_id", String(36), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("engineer_id", String(64)),
    Column("reason", String(1000)),
    Index("ix_work_order_transitions_wo", "work_order_id", "id"),
)

# The clocks as last derived; breached_at is set once, by a conditional update, and never recomputed.
sla_clocks = Table(
    "sla_clocks",
    metadata,
    Column("work_order_id", String(36), primary_key=True),
    Column("clock", String(10), primary_key=True),
    Column("ticket_id", String(100), nullable=False),
    Column("site", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("started_at", UtcDateTime()),
    Column("deadline", UtcDateTime()),
    Column("stopped_at", UtcDateTime()),
    Column("paused", Boolean, nullable=False),
    Column("breached_at", UtcDateTime()),
    Index("ix_sla_clocks_due", "breached_at", "deadline"),
    Index("ix_sla_clocks_site", "site", "breached_at"),
)

site_calendars = Table(
    "site_calendars",
    metadata,
    Column("site", String(32), primary_key=True),
    Column("time_zone", String(64), nullable=False),
    Column("hours", JSON, nullable=False),
    Column("holidays", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# What intake said about a ticket that may come before (or instead of) its work order.
ticket_facts = Table(
    "ticket_facts",
    metadata,
    Column("ticket_id", String(100), primary_key=True),
    Column("quote_accepted_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    Column("cancel_reason", String(1000)),
)
