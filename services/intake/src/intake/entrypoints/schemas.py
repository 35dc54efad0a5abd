"""HTTP bodies of intake's API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates

from aftersales_shared.boundary import (
    CHANNELS, PRIORITIES, SERVICE_TYPES, Boolean, Choice, Code, Integer, Text, Timestamp,
)


class CustomerIn(Schema):
    name = Text(200, min_length=1, required=True)
    phone = Text(40, min_length=3, required=True)
    address = Text(500, load_default=None, allow_none=True)


class ProductIn(Schema):
    model = Text(100, min_length=1, required=True)
    serial = Text(100, min_length=1, required=True)
    category = Text(100, min_length=1, required=True)
    purchase_date = fields.Date(required=True, allow_none=True)
    batch = Text(100, load_default=None, allow_none=True)

    @validates("purchase_date")
    def _not_in_future(self, value, **_):
        # One day of slack: the customer's calendar may already be on tomorrow.
        if value is not None and value > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValidationError("Purchase date cannot be in the future.")


class FaultIn(Schema):
    symptom_code = Text(100, load_default=None, allow_none=True)
    description = Text(4000, min_length=1, required=True)
    first_open_failure = Boolean(required=True)


class PartIn(Schema):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, 1000, required=True)


class TicketRequest(Schema):
    channel = Choice(CHANNELS, required=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    priority = Choice(PRIORITIES, load_default="P3")
    site = Code(required=True)
    region = Code(required=True)
    customer = fields.Nested(CustomerIn, required=True)
    product = fields.Nested(ProductIn, required=True)
    fault = fields.Nested(FaultIn, required=True)
    parts = fields.List(fields.Nested(PartIn), load_default=list, validate=validate.Length(max=50))

    @validates("parts")
    def _distinct_parts(self, parts, **_):
        # Runs even when an item failed its own validation; such an item has already been reported, and
        # whatever it holds in place of a part number is no part number to compare.
        seen = [part.get("part_no") for part in parts if isinstance(part, dict)]
        seen = [part_no for part_no in seen if isinstance(part_no, str)]
        duplicates = sorted({p for p in seen if seen.count(p) > 1})
        if duplicates:
            raise ValidationError(f"Each part_no once per ticket; repeated: {', '.join(duplicates)}.")


class TimelineEntryOut(Schema):
    event_id = fields.String()
    type = fields.String()
    occurred_at = Timestamp()
    source = fields.String()
    detail = fields.Dict()


class WarrantyOut(Schema):
    status = fields.String()
    expires_on = fields.Date(allow_none=True)


class SlaOut(Schema):
    respond_by = Timestamp()
    resolve_by = Timestamp()


class CustomerOut(CustomerIn):
    customer_id = fields.String()


class TicketOut(Schema):
    id = fields.String()
    ticket_no = fields.String()
    status = fields.String()
    channel = fields.String()
    partner_id = fields.String(allow_none=True)
    service_type = fields.String()
    priority = fields.String()
    site = fields.String()
    region = fields.String()
    customer = fields.Nested(CustomerOut)
    product = fields.Nested(ProductIn)
    fault = fields.Nested(FaultIn)
    parts = fields.List(fields.Nested(PartIn))
    warranty = fields.Nested(WarrantyOut)
    sla = fields.Nested(SlaOut)
    created_at = Timestamp()
    timeline = fields.List(fields.Nested(TimelineEntryOut))


class TicketPath(Schema):
    ticket_id = Text(64, min_length=1, required=True)
