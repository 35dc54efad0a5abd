"""HTTP bodies of dispatch's API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    OUTCOMES, WARRANTY_STATUSES, Boolean, Choice, Code, Integer, Text, Timestamp,
)

from ..domain.engineers import ENGINEER_STATUSES
from ..domain.sla import CLOCKS, WEEKDAYS
from ..domain.work_orders import STATUSES

HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="Must be HH:MM (00:00-23:59).")
HOURS = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                        error="Must be HH:MM-HH:MM, e.g. 09:00-18:00 (24:00 ends the day).")
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
    status = Choice(ENGINEER_STATUSES, metadata={"description": "Overrides available when given."})
    shift_start = Text(5, validate=HHMM, load_default=None, allow_none=True,
                       metadata={"description": "Local time in the site's calendar; with shift_end."})
    shift_end = Text(5, validate=HHMM, load_default=None, allow_none=True)


class EngineerChange(Schema):
    status = Choice(ENGINEER_STATUSES)
    shift_start = Text(5, validate=HHMM, allow_none=True)
    shift_end = Text(5, validate=HHMM, allow_none=True)


class EngineerPath(Schema):
    engineer_id = _engineer_id(required=True)


class EngineerOut(Schema):
    engineer_id = fields.String()
    name = fields.String()
    site = fields.String()
    region = fields.String()
    skills = fields.List(fields.String())
    available = fields.Boolean()
    status = fields.String()
    shift_start = fields.String(allow_none=True)
    shift_end = fields.String(allow_none=True)
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


class SitePath(Schema):
    site = Code(required=True)


class ActionIn(Schema):
    engineer_id = _engineer_id(load_default=None, allow_none=True,
                               metadata={"description": "Who acts; when given it must be the assigned engineer."})
    reason = Text(1000, load_default=None, allow_none=True)


class ReasonRequiredIn(ActionIn):
    reason = Text(1000, min_length=1, required=True)


class ReassignIn(Schema):
    engineer_id = _engineer_id(required=True)
    reason = Text(1000, min_length=1, required=True)


HoursIn = Schema.from_dict({day: Text(11, validate=HOURS) for day in WEEKDAYS}, name="HoursIn")


class CalendarIn(Schema):
    time_zone = Text(64, min_length=1, required=True, metadata={"description": "IANA name, e.g. Asia/Shanghai."})
    hours = fields.Nested(HoursIn, required=True,
                          metadata={"description": "Working hours per weekday, HH:MM-HH:MM; a day left out is closed."})
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=400))


class CalendarOut(Schema):
    site = fields.String()
    time_zone = fields.String()
    hours = fields.Dict(keys=fields.String(), values=fields.String())
    holidays = fields.List(fields.Date())
    recomputed_work_orders = fields.Integer(allow_none=True, metadata={"description": "Only when it was set."})


class ClockOut(Schema):
    work_order_id = fields.String()
    ticket_id = fields.String()
    site = fields.String()
    clock = Choice(CLOCKS)
    started_at = Timestamp(allow_none=True)
    deadline = Timestamp(allow_none=True)
    stopped_at = Timestamp(allow_none=True)
    paused = fields.Boolean()
    breached_at = Timestamp(allow_none=True)


class RiskOut(Schema):
    work_order_id = fields.String()
    ticket_id = fields.String()
    status = fields.String()
    engineer_id = fields.String(allow_none=True)
    clock = Choice(CLOCKS)
    deadline = Timestamp(allow_none=True)
    expected_at = Timestamp(allow_none=True)
    reasons = fields.List(fields.String())


class OverdueOut(Schema):
    work_order_id = fields.String()
    ticket_id = fields.String()
    status = fields.String()
    engineer_id = fields.String(allow_none=True)
    received_at = Timestamp()
    due = Timestamp()


class TransitionOut(Schema):
    at = Timestamp()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    engineer_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


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
    travel_km = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 10000))


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
    symptom_code = fields.String(allow_none=True)
    parts_expected = fields.Boolean()
    quote_required = fields.Boolean()
    repeat_of = fields.String(allow_none=True)
    accepted_at = Timestamp(allow_none=True, metadata={"description": "When the respond clock started."})
    resume_status = fields.String(allow_none=True, metadata={"description": "Where a waiting work order resumes."})
    assigned_at = Timestamp(allow_none=True)
    engineer_accepted_at = Timestamp(allow_none=True)
    departed_at = Timestamp(allow_none=True)
    arrived_at = Timestamp(allow_none=True)
    received_at = Timestamp(allow_none=True)
    assignment_score = fields.Float(allow_none=True)
    assignment_reason = fields.String(allow_none=True, metadata={"description": "Why this engineer."})
    unassigned_reason = fields.String(allow_none=True, metadata={"description": "Why nobody was assigned."})
    declined_by = fields.List(fields.String())
    end_reason = fields.String(allow_none=True)
    travel_km = fields.Float(allow_none=True)
    version = fields.Integer()
    clocks = fields.List(fields.Nested(ClockOut), metadata={"description": "Only on GET of one work order."})
