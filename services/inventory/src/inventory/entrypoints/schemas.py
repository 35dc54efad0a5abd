"""HTTP bodies and queries of inventory's API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import Boolean, Code, Integer, Money, Text, Timestamp


# A month of the ledger's era: a calendar month with room on both sides for the month before and after.
MONTH_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
MONTH_MESSAGE = "Must be a month between 1900-01 and 2999-12, as YYYY-MM."


def _part_no(**kwargs) -> Text:
    return Text(64, min_length=1, **kwargs)


class ReceiptRequest(Schema):
    site = Code(required=True)
    part_no = _part_no(required=True)
    qty = Integer(1, 1_000_000, required=True)
    # What the receipts' NUMERIC(12, 2) column holds; a cost is never negative.
    unit_cost = Money(integer_digits=10, signed=False, required=True)
    # The service point's region, if inventory has not learnt it yet (it needs it to find transfers).
    region = Code(load_default=None)


class StockQuery(Schema):
    site = Code(required=True)
    part_no = _part_no(required=True)


class SiteQuery(Schema):
    site = Code(required=True)


class StockLevelOut(Schema):
    site = fields.String()
    part_no = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    unit_cost = Money()


class PartIn(Schema):
    description = Text(200, min_length=1, required=True)
    category = Text(64, min_length=1, required=True)
    # What the catalogue's NUMERIC(12, 2) column holds; null: not sold on its own.
    list_price = Money(integer_digits=10, signed=False, allow_none=True, load_default=None)
    returnable = Boolean(load_default=False)
    superseded_by = _part_no(allow_none=True, load_default=None)


class PartPath(Schema):
    part_no = _part_no(required=True)


class PartOut(Schema):
    part_no = fields.String()
    description = fields.String()
    category = fields.String()
    list_price = Money(allow_none=True)
    returnable = fields.Boolean()
    superseded_by = fields.String(allow_none=True)
    unit_cost = Money()
    revision = fields.Integer()
    updated_at = Timestamp()


class AdjustmentRequest(Schema):
    site = Code(required=True)
    part_no = _part_no(required=True)
    change = Integer(-1_000_000, 1_000_000, required=True)
    reason = Text(200, min_length=1, required=True)


class MovementOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    on_hand_change = fields.Integer()
    reserved_change = fields.Integer()
    unit_cost = Money()
    reference = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    at = Timestamp()


class LedgerOut(StockLevelOut):
    movements = fields.List(fields.Nested(MovementOut))


class SitePath(Schema):
    site = Code(required=True)


class SiteIn(Schema):
    region = Code(required=True)
    # What the sites' NUMERIC(14, 2) column holds; null: the service point holds stock without a limit.
    deposit = Money(integer_digits=12, signed=False, allow_none=True, load_default=None)


class SiteOut(Schema):
    site = fields.String()
    region = fields.String(allow_none=True)
    deposit = Money(allow_none=True)
    stock_value = Money()
    inbound_value = Money()
    headroom = Money(allow_none=True)


class TransferRequest(Schema):
    part_no = _part_no(required=True)
    qty = Integer(1, 1_000_000, required=True)
    from_site = Code(required=True)
    to_site = Code(required=True)


class TransferPath(Schema):
    transfer_id = Text(36, min_length=1, required=True)


class TransferQuery(Schema):
    site = Code(load_default=None)
    status = fields.String(validate=validate.OneOf(("in_transit", "received")), load_default=None)


class TransferOut(Schema):
    id = fields.String()
    part_no = fields.String()
    qty = fields.Integer()
    from_site = fields.String()
    to_site = fields.String()
    unit_cost = Money()
    ticket_id = fields.String(allow_none=True)
    status = fields.String()
    shipped_at = Timestamp()
    received_at = Timestamp(allow_none=True)


class MonthQuery(Schema):
    month = fields.String(required=True, validate=validate.Regexp(MONTH_PATTERN, error=MONTH_MESSAGE),
                          metadata={"example": "2026-11"})


class ReconciliationOut(Schema):
    site = fields.String()
    month = fields.String()
    deposit = Money(allow_none=True)
    opening_value = Money()
    movements = fields.Dict(keys=fields.String(), values=Money())
    closing_value = Money()
    headroom = Money(allow_none=True)
    within_deposit = fields.Boolean()


class FaultyPartQuery(Schema):
    site = Code(load_default=None)
    status = fields.String(validate=validate.OneOf(("awaiting_engineer", "received", "at_supplier", "closed")),
                           load_default=None)


class OverdueQuery(Schema):
    site = Code(load_default=None)


class FaultyPartPath(Schema):
    part_id = Text(36, min_length=1, required=True)


class RmaRequest(Schema):
    supplier = Text(100, min_length=1, required=True)
    rma_no = Text(64, min_length=1, required=True)


class OutcomeRequest(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("repaired", "replaced", "rejected", "credited")))


class FollowUpOut(Schema):
    day = fields.Integer()
    due_at = Timestamp()
    fired_at = Timestamp(allow_none=True)


class FaultyPartOut(Schema):
    id = fields.String()
    ticket_id = fields.String()
    part_no = fields.String()
    qty = fields.Integer()
    faulty_serial = fields.String(allow_none=True)
    site = fields.String()
    region = fields.String()
    status = fields.String()
    expected_by = Timestamp()
    received_at = Timestamp(allow_none=True)
    shipped_at = Timestamp(allow_none=True)
    supplier = fields.String(allow_none=True)
    rma_no = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_at = Timestamp(allow_none=True)
    escalated = fields.Boolean()
    escalated_at = Timestamp(allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpOut))


class SlowStockQuery(Schema):
    site = Code(required=True)
    days = Integer(1, 3650, strict=False, load_default=90)


class SlowStockOut(Schema):
    site = fields.String()
    part_no = fields.String()
    on_hand = fields.Integer()
    value = Money()
    issued_in_window = fields.Integer()
    last_issued_at = Timestamp(allow_none=True)
    status = fields.String(metadata={"enum": ["dead", "low_moving"]})


class UsageQuery(Schema):
    site = Code(required=True)
    part_no = _part_no(required=True)
    months = Integer(1, 36, strict=False, load_default=6)
    until = fields.String(validate=validate.Regexp(MONTH_PATTERN, error=MONTH_MESSAGE), load_default=None)


class MonthUse(Schema):
    month = fields.String()
    used = fields.Integer()


class UsageOut(Schema):
    site = fields.String()
    part_no = fields.String()
    months = fields.List(fields.Nested(MonthUse))
    # Parts, not money: a plain number (the three-month average, two places).
    forecast_next_month = fields.Float()
