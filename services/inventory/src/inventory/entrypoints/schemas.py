"""HTTP bodies and queries of inventory's API."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from aftersales_shared.fields import Money

from .events import PART_NO

SITE = validate.Regexp(r"^[A-Za-z0-9-]{1,32}$", error="Must be 1-32 letters, digits or '-'.")


class ReceiptRequest(Schema):
    site = fields.String(required=True, validate=SITE)
    part_no = fields.String(required=True, validate=PART_NO)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    unit_cost = Money(required=True, validate=validate.Range(min=Decimal("0"), error="Cannot be negative."))


class StockQuery(Schema):
    site = fields.String(required=True, validate=SITE)
    part_no = fields.String(required=True, validate=PART_NO)


class SiteQuery(Schema):
    site = fields.String(required=True, validate=SITE)


class StockLevelOut(Schema):
    site = fields.String()
    part_no = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    unit_cost = Money()
