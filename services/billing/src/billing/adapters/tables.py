"""Billing's own schema (its database only). Money is exact decimals, never floats, on every database."""
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text

from aftersales_shared.tables import ExactDecimal, UtcDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

MONEY = ExactDecimal(12, 2)

settlements = Table(
    "settlements",
    metadata,
    Column("settlement_id", String(36), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    # One settlement per work order, whatever number of RepairCompleted events report it.
    Column("work_order_id", String(64), nullable=False, unique=True),
    Column("payee", String(32), nullable=False),
    Column("warranty_status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period", String(7), nullable=False),
    Column("posted_at", UtcDateTime(), nullable=False),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("settlement_id", String(36), ForeignKey("settlements.settlement_id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("part_no", String(64)),
    # Parts are counted, labour in hours to four places.
    Column("qty", ExactDecimal(10, 4), nullable=False),
    Column("unit_amount", MONEY, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("payer", String(20), nullable=False),
)
