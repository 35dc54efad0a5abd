"""Inventory's own schema (its database only)."""
from sqlalchemy import (
    CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table,
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
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("reservation_id", String(36), ForeignKey("reservations.id"), primary_key=True),
    Column("part_no", String(64), primary_key=True),
    Column("qty", Integer, nullable=False),
    Column("from_site", String(32), nullable=False),
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
