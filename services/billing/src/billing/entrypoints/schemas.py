"""HTTP bodies of billing's API."""
from __future__ import annotations

from marshmallow import Schema, fields

from aftersales_shared.boundary import Money, Text

from .events import SettlementPostedV1


class SettlementQuery(Schema):
    ticket_id = Text(64, min_length=1, required=True)


class SettlementPath(Schema):
    settlement_id = Text(64, min_length=1, required=True)


class SettlementOut(SettlementPostedV1):
    """A settlement reads exactly as the SettlementPosted event that announced it."""


class PartPriceOut(Schema):
    description = fields.String()
    cost = Money()
    list_price = Money()


class FeeScheduleOut(Schema):
    """The same keys as a fee schedule file, so what is in force can be saved and edited as one."""

    currency = fields.String()
    hourly_rate = Money()
    minimum_call_out = Money()
    warranty_labour = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=Money()))
    parts = fields.Dict(keys=fields.String(), values=fields.Nested(PartPriceOut))
