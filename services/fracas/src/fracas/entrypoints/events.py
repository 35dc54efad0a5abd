"""FRACAS's side of the wire: it publishes nothing yet and reads tickets, repairs and settlements.

The readers are tolerant: they take the fields FRACAS keeps, let anything else pass, and
refuse only what FRACAS could not store or would misread.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from aftersales_shared.fields import Money, Timestamp

from ..domain.failures import OUTCOMES

WARRANTY_STATUSES = ("in_warranty", "out_of_warranty")
ID = validate.Length(1, 64)
CODE = validate.Length(max=100)

PUBLISHED: dict[str, type[Schema]] = {}


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class _Product(_Tolerant):
    model = fields.String(required=True, validate=validate.Length(1, 100))
    serial = fields.String(required=True, validate=validate.Length(1, 100))
    category = fields.String(load_default=None, allow_none=True, validate=CODE)
    purchase_date = fields.Date(load_default=None, allow_none=True)
    batch = fields.String(load_default=None, allow_none=True, validate=CODE)


class _Fault(_Tolerant):
    symptom_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    first_open_failure = fields.Boolean(required=True)


class TicketCreatedIn(_Tolerant):
    ticket_id = fields.String(required=True, validate=ID)
    product = fields.Nested(_Product, required=True)
    fault = fields.Nested(_Fault, required=True)
    created_at = Timestamp(required=True)


class _Failure(_Tolerant):
    symptom_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    failure_mode = fields.String(load_default=None, allow_none=True, validate=CODE)
    cause_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    failed_part_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    description = fields.String(load_default="", validate=validate.Length(max=4000))


class _PartUsed(_Tolerant):
    part_no = fields.String(required=True, validate=validate.Length(min=1))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    faulty_serial = fields.String(load_default=None, allow_none=True)
    new_serial = fields.String(load_default=None, allow_none=True)


class RepairCompletedIn(_Tolerant):
    ticket_id = fields.String(required=True, validate=ID)
    work_order_id = fields.String(required=True, validate=ID)
    engineer_id = fields.String(required=True, validate=ID)
    # Strict on the values FRACAS interprets: an unknown outcome would silently count as "no failure".
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    completed_at = Timestamp(required=True)
    failure = fields.Nested(_Failure, required=True)
    product = fields.Nested(_Product, required=True)
    parts_used = fields.List(fields.Nested(_PartUsed), load_default=list)
    warranty_status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(WARRANTY_STATUSES))


class _Totals(_Tolerant):
    customer = Money(required=True)
    manufacturer = Money(required=True)


class SettlementPostedIn(_Tolerant):
    settlement_id = fields.String(required=True, validate=ID)
    ticket_id = fields.String(required=True, validate=ID)
    work_order_id = fields.String(required=True, validate=ID)
    totals = fields.Nested(_Totals, required=True)
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    posted_at = Timestamp(load_default=None, allow_none=True)


INCOMING_SCHEMAS = {
    "TicketCreated": TicketCreatedIn(),
    "RepairCompleted": RepairCompletedIn(),
    "SettlementPosted": SettlementPostedIn(),
}
