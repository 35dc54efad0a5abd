"""HTTP bodies of dispatch's API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    OUTCOMES, WARRANTY_STATUSES, Boolean, Choice, Code, Integer, Text, Timestamp,
)

from ..domain.work_orders import STATUSES

ENGINEER_ID = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error="Must be 1-64 letters, digits, '_', '.' or '-'.")


def _engineer_id(**kwargs) -> Text:
    return Text(64, validate=ENGINEER_ID, **kwargs)


class EngineerIn(Schema):
    engineer_id = _engineer_id(required=True)
    name = Text(200, min_length=1, required=True)
    site = Code(required=True)
    region = Code(required=True)
    skills = fields.List(
        Text(200, min_length=1), required=True,
        validate=validate.Length(1, 50, error="Give between {min} and {max} product categories."),
    )
    available = Boolean(load_default=True)


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
    site = Code()


class WorkOrderQuery(Schema):
    ticket_id = Text(100, min_length=1)
    site = Code()
    status = Choice(STATUSES)
    engineer_id = _engineer_id()
    limit = Integer(1, 1000, strict=False, load_default=100)


class WorkOrderPath(Schema):
    work_order_id = Text(64, min_length=1, required=True)


class PartUsedIn(Schema):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, 1000, required=True)
    faulty_serial = Text(100, min_length=1, load_default=None, allow_none=True)
    new_serial = Text(100, min_length=1, load_default=None, allow_none=True)


class FailureIn(Schema):
    symptom_code = Text(100, load_default=None, allow_none=True)
    failure_mode = Text(64, load_default=None, allow_none=True)
    cause_code = Text(100, load_default=None, allow_none=True)
    failed_part_no = Text(64, load_default=None, allow_none=True)
    description = Text(4000, required=True)


class CompletionIn(Schema):
    outcome = Choice(OUTCOMES, required=True)
    labour_minutes = Integer(0, 10080, required=True)
    parts_used = fields.List(fields.Nested(PartUsedIn), required=True, validate=validate.Length(max=100))
    failure = fields.Nested(FailureIn, required=True)
    warranty_status = Choice(
        WARRANTY_STATUSES, load_default=None, allow_none=True,
        metadata={"description": "As decided on inspection; defaults to the ticket's warranty status."},
    )
    customer_signed = Boolean(required=True)
    arrived_at = Timestamp(load_default=None, allow_none=True)
    satisfaction = Integer(1, 5, load_default=None, allow_none=True)


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
