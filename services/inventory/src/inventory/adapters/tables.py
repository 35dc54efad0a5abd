"""Inventory's own schema (its database only)."""
from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table,
)

from aftersales_shared.idempotency import idempotency_table
from aftersales_shared.tables import ExactDecimal, UtcDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("site", String(32), primary_key=True),
    Column("part_no", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("unit_cost", ExactDecimal(14, 4), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("on_hand >= 0", name="ck_stock_levels_on_hand"),
    CheckConstraint("reserved >= 0", name="ck_stock_levels_reserved"),
)

stock_receipts = Table(
    "stock_receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("part_no", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_cost", ExactDecimal(12, 2), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ix_stock_receipts_site_part", "site", "part_no", "received_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(36), primary_key=True),
    # One answer per ticket, however many times its TicketCreated is delivered.
    Column("ticket_id", String(200), nullable=False, unique=True),
    Column("site", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("consumed_at", UtcDateTime(), nullable=True),
    Column("region", String(32), nullable=True),
    Column("requested_at", UtcDateTime(), nullable=True),
    Column("reason", String(300), nullable=True),
    Index("ix_reservations_open", "site", "status", "requested_at"),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("reservation_id", String(36), ForeignKey("reservations.id"), primary_key=True),
    Column("part_no", String(64), primary_key=True),
    Column("qty", Integer, nullable=False),
    Column("from_site", String(32), nullable=False),
    # How much of qty is held at the site now (a backordered or in-transit line holds less).
    Column("held", Integer, nullable=False, server_default="0"),
)

ticket_completions = Table(
    "ticket_completions",
    metadata,
    # One consumption per ticket, whatever envelope ids its RepairCompleted arrives under.
    Column("ticket_id", String(200), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=False),
)

parts = Table(
    "parts",
    metadata,
    Column("part_no", String(64), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("list_price", ExactDecimal(12, 2), nullable=True),
    Column("returnable", Boolean, nullable=False),
    Column("superseded_by", String(64), nullable=True),
    Column("unit_cost", ExactDecimal(14, 4), nullable=False),
    Column("received_qty", BigInteger, nullable=False),
    # Raised with every published change; billing keeps the highest it has seen.
    Column("revision", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("site", String(32), nullable=False),
    Column("part_no", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("on_hand_change", Integer, nullable=False),
    Column("reserved_change", Integer, nullable=False),
    Column("unit_cost", ExactDecimal(14, 4), nullable=False),
    Column("reference", String(200), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_stock_movements_site_part", "site", "part_no", "id"),
    Index("ix_stock_movements_at", "site", "at"),
)

sites = Table(
    "sites",
    metadata,
    Column("site", String(32), primary_key=True),
    Column("region", String(32), nullable=True),
    # The most stock value the service point may hold; null: no limit.
    Column("deposit", ExactDecimal(14, 2), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_sites_region", "region"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("part_no", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("from_site", String(32), nullable=False),
    Column("to_site", String(32), nullable=False),
    Column("unit_cost", ExactDecimal(14, 4), nullable=False),
    # The ticket the parts travel for; null for a plain restocking transfer.
    Column("ticket_id", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("shipped_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=True),
    Index("ix_transfers_to_site", "to_site", "status"),
    Index("ix_transfers_ticket", "ticket_id"),
)

ticket_signals = Table(
    "ticket_signals",
    metadata,
    # What intake said about a ticket (quote accepted, cancelled, closed), whatever order it arrived in.
    Column("ticket_id", String(200), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
)

faulty_parts = Table(
    "faulty_parts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(200), nullable=False),
    Column("part_no", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("faulty_serial", String(100), nullable=True),
    Column("site", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("status", String(20), nullable=False),
    Column("expected_by", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=True),
    Column("shipped_at", UtcDateTime(), nullable=True),
    Column("supplier", String(100), nullable=True),
    Column("rma_no", String(64), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("outcome_at", UtcDateTime(), nullable=True),
    Column("escalated_at", UtcDateTime(), nullable=True),
    Index("ix_faulty_parts_status", "status", "expected_by"),
    Index("ix_faulty_parts_ticket", "ticket_id"),
)

rma_follow_ups = Table(
    "rma_follow_ups",
    metadata,
    Column("faulty_part_id", String(36), ForeignKey("faulty_parts.id"), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("due_at", UtcDateTime(), nullable=False),
    # Set once by the periodic job (a conditional update), so a milestone fires once however often it runs.
    Column("fired_at", UtcDateTime(), nullable=True),
    Index("ix_rma_follow_ups_due", "fired_at", "due_at"),
)
