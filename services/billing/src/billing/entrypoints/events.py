"""Billing's side of the wire: the RepairCompleted it reads and the SettlementPosted it publishes."""
from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    LINE_KINDS, OUTCOMES, PAYERS, SERVICE_TYPES, WARRANTY_STATUSES, Boolean, Choice, EventReader, Integer, Money,
    Text, Timestamp,
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
# One instance each, built once: building a schema costs more than dumping an event with it.
_WRITE = {name: schema() for name, schema in PUBLISHED.items()}


def settlement_posted_data(event: SettlementPosted) -> dict:
    return _WRITE["SettlementPosted"].dump(event.settlement)


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
    outcome = Choice(OUTCOMES, required=True)
    # Optional: compliance flags and the out-of-warranty travel band.
    customer_signed = Boolean(allow_none=True)
    repeat_of = _id(allow_none=True)
    travel_km = fields.Decimal(allow_none=True, allow_nan=False, validate=validate.Range(0, 100000))


class PartPriceChangedReader(EventReader):
    """Inventory's catalogue change: what billing keeps in its price replica."""

    part_no = _id(required=True)
    description = Text(4000, allow_none=True)
    category = Text(100, allow_none=True)
    unit_cost = Money(integer_digits=10, signed=False, required=True)
    list_price = Money(integer_digits=10, signed=False, allow_none=True)
    returnable = Boolean(allow_none=True)
    revision = Integer(1, required=True)
    effective_at = Timestamp(required=True)


class CallbackCompletedReader(EventReader):
    """Intake's satisfaction callback; a failed one is a compliance flag on the job."""

    ticket_id = _id(required=True)
    outcome = Choice(("done", "failed"), required=True)
    score = Integer(1, 5, allow_none=True)
    remarks = Text(4000, allow_none=True)
    attempts = Integer(0, allow_none=True)
    completed_at = Timestamp(required=True)


class SlaBreachedReader(EventReader):
    """Dispatch's missed deadline; a penalty when the rules in force set one."""

    ticket_id = _id(required=True)
    work_order_id = Text(200, allow_none=True)
    # Words only read into the flag's text: a clock dispatch adds later must not stop billing.
    clock = Text(32, min_length=1, required=True)
    deadline = Timestamp(required=True)
    breached_at = Timestamp(required=True)


INCOMING_SCHEMAS = {
    "RepairCompleted": RepairCompletedReader(),
    "PartPriceChanged": PartPriceChangedReader(),
    "CallbackCompleted": CallbackCompletedReader(),
    "SlaBreached": SlaBreachedReader(),
}

