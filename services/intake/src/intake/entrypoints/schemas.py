"""HTTP bodies of intake's API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates

from aftersales_shared.fields import Timestamp

from .events import CHANNELS, PRIORITIES, SERVICE_TYPES

CODE = validate.Regexp(r"^[A-Za-z0-9-]{1,32}$", error="Must be 1-32 letters, digits or '-'.")


class CustomerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    phone = fields.String(required=True, validate=validate.Length(3, 40))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ProductIn(Schema):
    model = fields.String(required=True, validate=validate.Length(1, 100))
    serial = fields.String(required=True, validate=validate.Length(1, 100))
    category = fields.String(required=True, validate=validate.Length(1, 100))
    purchase_date = fields.Date(required=True, allow_none=True)
    batch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))

    @validates("purchase_date")
    def _not_in_future(self, value, **_):
        # One day of slack: the customer's calendar may already be on tomorrow.
        if value is not None and value > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValidationError("Purchase date cannot be in the future.")


class FaultIn(Schema):
    symptom_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    description = fields.String(required=True, validate=validate.Length(1, 4000))
    first_open_failure = fields.Boolean(required=True)


class PartIn(Schema):
    part_no = fields.String(required=True, validate=validate.Length(1, 64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class TicketRequest(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    service_type = fields.String(required=True, validate=validate.OneOf(SERVICE_TYPES))
    priority = fields.String(load_default="P3", validate=validate.OneOf(PRIORITIES))
    site = fields.String(required=True, validate=CODE)
    region = fields.String(required=True, validate=CODE)
    customer = fields.Nested(CustomerIn, required=True)
    product = fields.Nested(ProductIn, required=True)
    fault = fields.Nested(FaultIn, required=True)
    parts = fields.List(fields.Nested(PartIn), load_default=list, validate=validate.Length(max=50))

    @validates("parts")
    def _distinct_parts(self, parts, **_):
        # Runs even when an item failed its own validation; such an item has already been reported.
        seen = [part["part_no"] for part in parts if "part_no" in part]
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


class IdempotencyHeader(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key", load_default=None, validate=validate.Length(1, 200)
    )
