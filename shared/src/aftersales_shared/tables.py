"""The outbox and inbox tables each service adds to its own schema."""
from datetime import timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, Numeric, String, Table, Text, text
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Aware UTC in and out, also on SQLite, which would otherwise hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ExactDecimal(TypeDecorator):
    """NUMERIC(p, s) where the database has exact decimals; a decimal string on SQLite, which would use floats.

    Values are rounded half-up to the scale on the way in, the same on every database.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision=precision, scale=scale)
        self.precision, self.scale = precision, scale
        self.quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 3))
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)


# Envelopes put no bound on correlation and causation ids; what is kept of them for tracing is bounded.
CORRELATION_LENGTH = 200


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("routing_key", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        # The flow the event belongs to (the ticket's id), so its story can be told (GET /api/v1/events).
        Column("correlation_id", String(CORRELATION_LENGTH), nullable=True),
        Index("ix_outbox_correlation", "correlation_id"),
        # Only unsent rows are indexed: marking a row sent adds no index entry, and the relay's scan stays small.
        Index("ix_outbox_pending", "position", postgresql_where=text("sent_at IS NULL"),
              sqlite_where=text("sent_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("source", String(100), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False),
        Column("occurred_at", UtcDateTime(), nullable=True),
        Column("correlation_id", String(CORRELATION_LENGTH), nullable=True),
        Column("causation_id", String(CORRELATION_LENGTH), nullable=True),
        # Ids older than the retention window are purged by age.
        Index("ix_inbox_received_at", "received_at"),
        Index("ix_inbox_correlation", "correlation_id"),
    )
