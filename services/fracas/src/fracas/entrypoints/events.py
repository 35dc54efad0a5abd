"""FRACAS's side of the wire: it reads tickets, repairs and settlements and publishes ProblemOpened and
ProblemClosed.

The readers are tolerant: they take the fields FRACAS keeps, let anything else pass, and
refuse only what FRACAS could not store or would misread.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..domain.problems import ProblemClosed, ProblemOpened

from aftersales_shared.boundary import (
    CURRENCY_PATTERN, OUTCOMES, WARRANTY_STATUSES, Boolean, Choice, EventReader, Integer, Money, Text, Timestamp,
)



class ProblemOpenedV1(Schema):
    problem_id = fields.String(required=True)
    model = fields.String(required=True)
    part_no = fields.String(required=True, allow_none=True)
    failure_mode = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)
    opened_at = Timestamp(required=True)


class ProblemClosedV1(Schema):
    problem_id = fields.String(required=True)
    model = fields.String(required=True)
    part_no = fields.String(required=True, allow_none=True)
    failure_mode = fields.String(required=True, allow_none=True)
    closed_at = Timestamp(required=True)
    effective = fields.Boolean(required=True, allow_none=True)


PUBLISHED: dict[str, type[Schema]] = {"ProblemOpened": ProblemOpenedV1, "ProblemClosed": ProblemClosedV1}
# One instance each, built once: building a schema costs more than dumping an event with it.
_WRITE = {name: schema() for name, schema in PUBLISHED.items()}
OUTGOING = {
    ProblemOpened: lambda event: _WRITE["ProblemOpened"].dump(event),
    ProblemClosed: lambda event: _WRITE["ProblemClosed"].dump(event),
}


def _id(**kwargs) -> Text:
    return Text(64, min_length=1, **kwargs)


def _code(**kwargs) -> Text:
    return Text(100, load_default=None, allow_none=True, **kwargs)


def _amount(**kwargs) -> Money:
    # What the NUMERIC(14, 2) cost columns hold.
    return Money(integer_digits=12, **kwargs)


class _Product(EventReader):
    model = Text(100, min_length=1, required=True)
    serial = Text(100, min_length=1, required=True)
    category = _code()
    purchase_date = fields.Date(load_default=None, allow_none=True)
    batch = _code()


class _Fault(EventReader):
    symptom_code = _code()
    first_open_failure = Boolean(required=True)


class TicketCreatedIn(EventReader):
    ticket_id = _id(required=True)
    repeat_of = Text(64, load_default=None, allow_none=True)
    product = fields.Nested(_Product, required=True)
    fault = fields.Nested(_Fault, required=True)
    created_at = Timestamp(required=True)


class _Failure(EventReader):
    symptom_code = _code()
    failure_mode = _code()
    cause_code = _code()
    failed_part_no = Text(64, load_default=None, allow_none=True)
    description = Text(4000, load_default="")


class _PartUsed(EventReader):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, required=True)
    faulty_serial = Text(100, load_default=None, allow_none=True)
    new_serial = Text(100, load_default=None, allow_none=True)


class RepairCompletedIn(EventReader):
    ticket_id = _id(required=True)
    work_order_id = _id(required=True)
    engineer_id = _id(required=True)
    # Strict on the values FRACAS interprets: an unknown outcome would silently count as "no failure".
    outcome = Choice(OUTCOMES, required=True)
    completed_at = Timestamp(required=True)
    failure = fields.Nested(_Failure, required=True)
    product = fields.Nested(_Product, required=True)
    parts_used = fields.List(fields.Nested(_PartUsed), load_default=list)
    warranty_status = Choice(WARRANTY_STATUSES, load_default=None, allow_none=True)
    repeat_of = Text(64, load_default=None, allow_none=True)
    site = Text(64, load_default=None, allow_none=True)
    region = Text(64, load_default=None, allow_none=True)


class _Totals(EventReader):
    customer = _amount(required=True)
    manufacturer = _amount(required=True)


class SettlementPostedIn(EventReader):
    settlement_id = _id(required=True)
    ticket_id = _id(required=True)
    work_order_id = _id(required=True)
    totals = fields.Nested(_Totals, required=True)
    currency = Text(3, load_default=None, allow_none=True, validate=validate.Regexp(CURRENCY_PATTERN))
    posted_at = Timestamp(load_default=None, allow_none=True)


INCOMING_SCHEMAS = {
    "TicketCreated": TicketCreatedIn(),
    "RepairCompleted": RepairCompletedIn(),
    "SettlementPosted": SettlementPostedIn(),
}
