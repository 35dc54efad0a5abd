"""Billing's side of the wire: the RepairCompleted it reads and the SettlementPosted it publishes."""
from __future__ import annotations

import json

from marshmallow import Schema, fields

from aftersales_shared.boundary import (
    LINE_KINDS, PAYERS, SERVICE_TYPES, WARRANTY_STATUSES, Choice, EventReader, Integer, Money, Text, Timestamp,
)
from ..domain.events import SettlementPosted

# The most of one part a settlement line can count: its NUMERIC(10, 4) quantity column.
MAX_PART_QTY = 999_999


def _id(**kwargs) -> Text:
    # Ids are stored in 64-character columns; a longer one is refused on arrival, not by the database.
    return Text(64, min_length=1, **kwargs)


class Quantity(fields.Field):
    """A Decimal count or number of hours as a JSON number with the same digits: 2, 1.5, 0.8333."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value == value.to_integral_value():
            return int(value)
        # The JSON encoder writes numbers only from int and binary floating point; the number parsed
        # from the decimal's own text prints back as that same text. Quantities only: money stays a string.
        return json.loads(str(value.normalize()))


class _Line(Schema):
    kind = Choice(LINE_KINDS, required=True)
    description = fields.String(required=True)
    part_no = fields.String(allow_none=True)
    qty = Quantity(required=True)
    unit_amount = Money(required=True)
    amount = Money(required=True)
    payer = Choice(PAYERS, required=True)


class _Totals(Schema):
    customer = Money(required=True)
    manufacturer = Money(required=True)


class SettlementPostedV1(Schema):
    """SettlementPosted v1 data; also the shape of a settlement in billing's HTTP API."""

    settlement_id = fields.String(required=True)
    ticket_id = fields.String(required=True)
    work_order_id = fields.String(required=True)
    payee = fields.String(required=True)
    warranty_status = Choice(WARRANTY_STATUSES, required=True)
    currency = fields.String(required=True)
    lines = fields.List(fields.Nested(_Line), required=True)
    totals = fields.Nested(_Totals, required=True)
    period = fields.String(required=True)
    posted_at = Timestamp(required=True)


PUBLISHED = {"SettlementPosted": SettlementPostedV1}


def settlement_posted_data(event: SettlementPosted) -> dict:
    return SettlementPostedV1().dump(event.settlement)


OUTGOING = {SettlementPosted: settlement_posted_data}


class _PartUsed(EventReader):
    part_no = _id(required=True)
    qty = Integer(1, MAX_PART_QTY, required=True)


class _Product(EventReader):
    category = Text(100, min_length=1, required=True)


class RepairCompletedReader(EventReader):
    """What billing needs of RepairCompleted v1 to price the job; every other field is ignored."""

    ticket_id = _id(required=True)
    work_order_id = _id(required=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    warranty_status = Choice(WARRANTY_STATUSES, required=True)
    labour_minutes = Integer(0, 10080, required=True)
    parts_used = fields.List(fields.Nested(_PartUsed), required=True)
    completed_at = Timestamp(required=True)
    product = fields.Nested(_Product, required=True)


INCOMING_SCHEMAS = {"RepairCompleted": RepairCompletedReader()}

