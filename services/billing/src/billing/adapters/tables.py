"""Billing's own schema (its database only). Money is exact decimals, never floats, on every database."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

from aftersales_shared.idempotency import idempotency_table
from aftersales_shared.tables import ExactDecimal, UtcDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)

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
    Column("period", String(7), nullable=False, index=True),
    Column("posted_at", UtcDateTime(), nullable=False),
    # What statements and statistics group by; a penalty is a document of its own.
    Column("document", String(10), nullable=False, server_default="job"),
    Column("service_type", String(20)),
    Column("category", String(100)),
    Column("outcome", String(20)),
    Column("completed_at", UtcDateTime()),
    Column("region", String(32)),
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

# The replica of inventory's catalogue: every accepted revision of a part's price, never overwritten.
part_prices = Table(
    "part_prices",
    metadata,
    Column("part_no", String(64), primary_key=True),
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("unit_cost", MONEY, nullable=False),
    Column("list_price", MONEY),
    Column("description", Text, nullable=False),
    Column("category", String(100), nullable=False),
    Column("returnable", Boolean, nullable=False),
    Column("effective_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

# Completed jobs held until inventory publishes the prices they need.
awaiting_settlements = Table(
    "awaiting_settlements",
    metadata,
    Column("work_order_id", String(64), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("payee", String(32), nullable=False),
    Column("job", Text, nullable=False),
    Column("since", UtcDateTime(), nullable=False),
)

awaiting_parts = Table(
    "awaiting_parts",
    metadata,
    Column("work_order_id", String(64), ForeignKey("awaiting_settlements.work_order_id", ondelete="CASCADE"),
           primary_key=True),
    Column("part_no", String(64), primary_key=True, index=True),
)

# Rule breaches found on a job; penalty_settlement_id once its deduction is booked.
compliance_flags = Table(
    "compliance_flags",
    metadata,
    Column("flag_id", String(36), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("raised_at", UtcDateTime(), nullable=False),
    # The earlier ticket a repeat repair repeats: whose labour fee is clawed back.
    Column("repeat_of", String(64), index=True),
    Column("penalty_settlement_id", String(36)),
    UniqueConstraint("ticket_id", "kind", name="uq_compliance_flags_ticket_kind"),
)

# A closed period is frozen: its statements are stored as issued and nothing more is booked into it.
periods = Table(
    "periods",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("closed_at", UtcDateTime()),
    Column("statistics_issued_at", UtcDateTime()),
)

statements = Table(
    "statements",
    metadata,
    Column("payee", String(32), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("body", Text, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
)

# Parts deposits a service point paid (positive) or got back (negative), reconciled on its statement.
deposits = Table(
    "deposits",
    metadata,
    Column("deposit_id", String(36), primary_key=True),
    Column("payee", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount", ExactDecimal(12, 2), nullable=False),
    Column("description", Text, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)
