"""FRACAS's own schema (its database only)."""
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, Date, Index, MetaData, Numeric, String, Table, Text
from sqlalchemy.types import TypeDecorator

from aftersales_shared.fields import money
from aftersales_shared.tables import UtcDateTime, inbox_table, outbox_table


class MoneyAmount(TypeDecorator):
    """NUMERIC(14, 2) where the database has exact decimals; a decimal string on SQLite, which would use floats."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(24))
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = money(Decimal(value))
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        return None if value is None else money(Decimal(value))


metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

installed_units = Table(
    "installed_units",
    metadata,
    Column("serial", String(100), primary_key=True),
    Column("model", String(100), nullable=False, index=True),
    Column("category", String(100), nullable=False),
    Column("purchase_date", Date, nullable=False),
    Column("batch", String(100)),
    Column("registered_at", UtcDateTime(), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("model", String(100), nullable=False),
    Column("serial", String(100), nullable=False, index=True),
    Column("category", String(100)),
    Column("purchase_date", Date),
    Column("batch", String(100)),
    Column("symptom_code", String(100)),
    Column("first_open_failure", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

failure_records = Table(
    "failure_records",
    metadata,
    Column("work_order_id", String(64), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("engineer_id", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=False),
    Column("symptom_code", String(100)),
    Column("failure_mode", String(100)),
    Column("cause_code", String(100)),
    Column("failed_part_no", String(64)),
    Column("description", Text, nullable=False),
    Column("model", String(100), nullable=False),
    Column("serial", String(100), nullable=False),
    Column("category", String(100)),
    Column("purchase_date", Date),
    Column("batch", String(100)),
    Column("parts_used", JSON, nullable=False),
    Column("warranty_status", String(20)),
    Index("ix_failure_records_model_outcome", "model", "outcome"),
    Index("ix_failure_records_serial", "serial"),
)

# Kept apart from failure_records so a settlement booked before its repair report arrives
# is simply stored, and joins the report whenever that lands.
failure_costs = Table(
    "failure_costs",
    metadata,
    Column("work_order_id", String(64), primary_key=True),
    Column("settlement_id", String(64), nullable=False),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("currency", String(3)),
    Column("customer", MoneyAmount(), nullable=False),
    Column("manufacturer", MoneyAmount(), nullable=False),
    Column("posted_at", UtcDateTime()),
)
