"""HTTP bodies of dispatch's API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.fields import Timestamp

from ..domain.work_orders import OUTCOMES, STATUSES
from .events import DECIDED_WARRANTY_STATUSES

CODE = validate.Regexp(r"^[A-Za-z0-9-]{1,32}$", error="Must be 1-32 letters, digits or '-'.")
ENGINEER_ID = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error="Must be 1-64 letters, digits, '_', '.' or '-'.")


class EngineerIn(Schema):
    engineer_id = fields.String(required=True, validate=ENGINEER_ID)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    site = fields.String(required=True, validate=CODE)
    region = fields.String(required=True, validate=CODE)
    skills = fields.List(
        fields.String(validate=validate.Length(1, 200)), required=True,
        validate=validate.Length(1, 50, error="Give between {min} and {max} product categories."),
    )
    available = fields.Boolean(load_default=True)


class EngineerOut(Schema):
    engineer_id = fields.String()
    name = fields.String()
    site = fields.String()
    region = fields.String()
    skills = fields.List(fields.String())
    available = fields.Boolean()
    registered_at = Timestamp()
    open_work_orders = fields.Integer(metadata={"description": "Assigned, not yet completed work orders."})
    assigned_work_orders = fields.List(
        fields.String(), metadata={"description": "Waiting work orders handed to the engineer on registration."}
    )


class EngineerQuery(Schema):
    site = fields.String(validate=CODE)


class WorkOrderQuery(Schema):
    ticket_id = fields.String(validate=validate.Length(1, 100))
    site = fields.String(validate=CODE)
    status = fields.String(validate=validate.OneOf(STATUSES))
    engineer_id = fields.String(validate=ENGINEER_ID)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class PartUsedIn(Schema):
    part_no = fields.String(required=True, validate=validate.Length(1, 64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1000))
    faulty_serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    new_serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))


class FailureIn(Schema):
    symptom_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    failure_mode = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    cause_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    failed_part_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    description = fields.String(required=True, validate=validate.Length(max=4000))


class CompletionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    labour_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10080))
    parts_used = fields.List(fields.Nested(PartUsedIn), required=True, validate=validate.Length(max=100))
    failure = fields.Nested(FailureIn, required=True)
    warranty_status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(DECIDED_WARRANTY_STATUSES),
        metadata={"description": "As decided on inspection; defaults to the ticket's warranty status."},
    )
    customer_signed = fields.Boolean(required=True)
    arrived_at = Timestamp(load_default=None, allow_none=True)
    satisfaction = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 5))


class ProductOut(Schema):
    model = fields.String()
    serial = fields.String()
    category = fields.String()
    purchase_date = fields.Date(allow_none=True)
    batch = fields.String(allow_none=True)


class SlaOut(Schema):
    respond_by = Timestamp()
    resolve_by = Timestamp()


class CompletionOut(Schema):
    outcome = fields.String()
    labour_minutes = fields.Integer()
    parts_used = fields.List(fields.Nested(PartUsedIn))
    failure = fields.Nested(FailureIn)
    warranty_status = fields.String()
    customer_signed = fields.Boolean()
    arrived_at = Timestamp(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)


class WorkOrderOut(Schema):
    id = fields.String()
    ticket_id = fields.String()
    status = fields.String()
    engineer_id = fields.String(allow_none=True)
    parts_status = fields.String(allow_none=True)
    reservation_id = fields.String(allow_none=True)
    dispatched_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    site = fields.String()
    region = fields.String()
    service_type = fields.String()
    priority = fields.String()
    product = fields.Nested(ProductOut)
    warranty_status = fields.String(metadata={"description": "The ticket's, as intake decided it."})
    sla = fields.Nested(SlaOut)
    ticket_created_at = Timestamp()
    created_at = Timestamp()
    completion = fields.Nested(CompletionOut, allow_none=True)
