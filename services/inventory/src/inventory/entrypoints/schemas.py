"""HTTP bodies and queries of inventory's API."""
from __future__ import annotations

from marshmallow import Schema, fields

from aftersales_shared.boundary import Boolean, Code, Integer, Money, Text, Timestamp


def _part_no(**kwargs) -> Text:
    return Text(64, min_length=1, **kwargs)


class ReceiptRequest(Schema):
    site = Code(required=True)
    part_no = _part_no(required=True)
    qty = Integer(1, 1_000_000, required=True)
    # What the receipts' NUMERIC(12, 2) column holds; a cost is never negative.
    unit_cost = Money(integer_digits=10, signed=False, required=True)


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
