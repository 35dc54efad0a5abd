"""FRACAS's own schema (its database only)."""
from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table, Text

from aftersales_shared.idempotency import idempotency_table
from aftersales_shared.tables import ExactDecimal, UtcDateTime, inbox_table, outbox_table


metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)

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
    Column("repeat_of", String(64)),
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
    # The closed loop: where it happened, what it repeats, and whether it counts against the product.
    Column("site", String(64)),
    Column("region", String(64)),
    Column("repeat_of", String(64)),
    Column("relevant", Boolean, nullable=False, server_default="0"),
    Column("chargeable", Boolean, nullable=False, server_default="0"),
    # The UTC day of completion, so ages are a date difference the database can group by.
    Column("failed_on", Date),
    # The registry's word on the unit, copied in when either side arrives, so fleet analytics read this
    # table alone instead of joining a million installed units.
    Column("registered_model", String(100)),
    Column("registered_purchase_date", Date),
    Column("registered_batch", String(100)),
    Index("ix_failure_records_model_outcome", "model", "outcome"),
    Index("ix_failure_records_relevant_model", "relevant", "model"),
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
    Column("customer", ExactDecimal(14, 2), nullable=False),
    Column("manufacturer", ExactDecimal(14, 2), nullable=False),
    Column("posted_at", UtcDateTime()),
)

problems = Table(
    "problems",
    metadata,
    Column("problem_id", String(64), primary_key=True),
    Column("model", String(100), nullable=False),
    Column("part_no", String(64)),
    Column("failure_mode", String(100)),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("owner", String(100)),
    Column("due_date", Date),
    Column("root_cause", Text),
    Column("corrective_action", Text),
    Column("effective_date", Date),
    Column("effective", Boolean),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("reopened", Integer, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_problems_group", "model", "part_no", "failure_mode"),
)

problem_audit = Table(
    "problem_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("problem_id", String(64), ForeignKey("problems.problem_id"), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("note", Text, nullable=False),
)

# Installed units counted by model, purchase date and batch ("" for none), kept in step by every
# registration: the denominators of every rate and the suspensions of every fit, in a few thousand rows.
installed_counts = Table(
    "installed_counts",
    metadata,
    Column("model", String(100), primary_key=True),
    Column("purchase_date", Date, primary_key=True),
    Column("batch", String(100), primary_key=True),
    Column("units", Integer, nullable=False),
)

# Bumped in the transaction that changes a model's failures or installed base: cached fits carry the
# version they were computed at and are used only while it is current.
reliability_versions = Table(
    "reliability_versions",
    metadata,
    Column("model", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
)
