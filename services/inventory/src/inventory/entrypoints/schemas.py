"""HTTP bodies and queries of inventory's API."""
from __future__ import annotations

from marshmallow import Schema, fields

from aftersales_shared.boundary import Code, Integer, Money, Text


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
