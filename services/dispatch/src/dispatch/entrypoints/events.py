"""Dispatch's side of the wire: the EngineerAssigned and RepairCompleted it publishes and the events it reads."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    OUTCOMES, PRIORITIES, SERVICE_TYPES, TICKET_WARRANTY_STATUSES, WARRANTY_STATUSES, Choice, EventReader, Text,
    Timestamp,
)

from ..domain.events import EngineerAssigned, RepairCompleted, SlaBreached
from ..domain.sla import CLOCKS


class _Product(Schema):
    model = fields.String(required=True)
    serial = fields.String(required=True)
    category = fields.String(required=True)
    purchase_date = fields.Date(required=True, allow_none=True)
    batch = fields.String(allow_none=True)


class _PartUsed(Schema):
    part_no = fields.String(required=True, validate=validate.Length(min=1))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    faulty_serial = fields.String(allow_none=True)
    new_serial = fields.String(allow_none=True)


class _Failure(Schema):
    symptom_code = fields.String(required=True, allow_none=True)
    failure_mode = fields.String(required=True, allow_none=True)
    cause_code = fields.String(allow_none=True)
    failed_part_no = fields.String(required=True, allow_none=True)
    description = fields.String(required=True, validate=validate.Length(max=4000))


class EngineerAssignedV1(Schema):
    ticket_id = fields.String(required=True, validate=validate.Length(min=1))
    work_order_id = fields.String(required=True)
    engineer_id = fields.String(required=True)
    site = fields.String(required=True)
    assigned_at = Timestamp(required=True)


class RepairCompletedV1(Schema):
    ticket_id = fields.String(required=True, validate=validate.Length(min=1))
    work_order_id = fields.String(required=True)
    engineer_id = fields.String(required=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    outcome = Choice(OUTCOMES, required=True)
    dispatched_at = Timestamp(allow_none=True)
    arrived_at = Timestamp(allow_none=True)
    completed_at = Timestamp(required=True)
    labour_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10080))
    parts_used = fields.List(fields.Nested(_PartUsed), required=True)
    failure = fields.Nested(_Failure, required=True)
    warranty_status = Choice(WARRANTY_STATUSES, required=True)
    product = fields.Nested(_Product, required=True)
    customer_signed = fields.Boolean()
    satisfaction = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 5))
    repeat_of = fields.String(allow_none=True, metadata={"description": "The earlier ticket, as intake named it."})
    travel_km = fields.Float(allow_none=True)
    site = fields.String()
    region = fields.String()


class SlaBreachedV1(Schema):
    ticket_id = fields.String(required=True, validate=validate.Length(min=1))
    work_order_id = fields.String(required=True)
    site = fields.String(required=True)
    region = fields.String(required=True)
    clock = Choice(CLOCKS, required=True)
    deadline = Timestamp(required=True)
    breached_at = Timestamp(required=True)


PUBLISHED = {"EngineerAssigned": EngineerAssignedV1, "RepairCompleted": RepairCompletedV1,
             "SlaBreached": SlaBreachedV1}
# One instance each, built once: building a schema costs more than dumping an event with it.
_WRITE = {name: schema() for name, schema in PUBLISHED.items()}


def engineer_assigned_data(event: EngineerAssigned) -> dict:
    work_order = event.work_order
    return _WRITE["EngineerAssigned"].dump({
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": work_order.engineer_id,
        "site": work_order.site, "assigned_at": work_order.assigned_at or work_order.dispatched_at,
    })


def repair_completed_data(event: RepairCompleted) -> dict:
    work_order = event.work_order
    report = work_order.completion
    return _WRITE["RepairCompleted"].dump({
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": work_order.engineer_id,
        "service_type": work_order.service_type, "outcome": report.outcome,
        "dispatched_at": work_order.dispatched_at, "arrived_at": report.arrived_at,
        "completed_at": work_order.completed_at, "labour_minutes": report.labour_minutes,
        "parts_used": report.parts_used, "failure": report.failure, "warranty_status": report.warranty_status,
        "product": work_order.product, "customer_signed": report.customer_signed,
        "satisfaction": report.satisfaction, "repeat_of": work_order.repeat_of, "travel_km": work_order.travel_km,
        "site": work_order.site, "region": work_order.region,
    })


def sla_breached_data(event: SlaBreached) -> dict:
    clock = event.clock
    return _WRITE["SlaBreached"].dump({
        "ticket_id": clock.ticket_id, "work_order_id": clock.work_order_id, "site": clock.site,
        "region": clock.region, "clock": clock.clock, "deadline": clock.deadline, "breached_at": event.breached_at,
    })


OUTGOING = {EngineerAssigned: engineer_assigned_data, RepairCompleted: repair_completed_data,
            SlaBreached: sla_breached_data}


# Sized to the work_orders and parts_reports columns the facts are kept in.
class _TicketProduct(EventReader):
    model = Text(200, min_length=1, required=True)
    serial = Text(200, min_length=1, required=True)
    category = Text(200, min_length=1, required=True)
    purchase_date = fields.Date(load_default=None, allow_none=True)
    batch = Text(200, load_default=None, allow_none=True)


class _TicketWarranty(EventReader):
    status = Choice(TICKET_WARRANTY_STATUSES, required=True)


class _TicketSla(EventReader):
    respond_by = Timestamp(required=True)
    resolve_by = Timestamp(required=True)


class _TicketFault(EventReader):
    symptom_code = Text(100, load_default=None, allow_none=True)


class _TicketPart(EventReader):
    part_no = Text(64, min_length=1, required=True)


class TicketCreatedIn(EventReader):
    """The ticket facts a work order keeps; the site and region come from the envelope."""

    ticket_id = Text(100, min_length=1, required=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    priority = Choice(PRIORITIES, required=True)
    product = fields.Nested(_TicketProduct, required=True)
    warranty = fields.Nested(_TicketWarranty, required=True)
    sla = fields.Nested(_TicketSla, required=True)
    created_at = Timestamp(required=True)
    fault = fields.Nested(_TicketFault, load_default=None)
    parts = fields.List(fields.Nested(_TicketPart), load_default=list)
    quote_required = fields.Boolean(load_default=False)
    repeat_of = Text(100, load_default=None, allow_none=True)


class PartsReportIn(EventReader):
    """PartReserved or PartReservationFailed: dispatch only needs to know which ticket and whether parts are held."""

    ticket_id = Text(100, min_length=1, required=True)
    reservation_id = Text(100, load_default=None, allow_none=True)


class QuoteAcceptedIn(EventReader):
    ticket_id = Text(100, min_length=1, required=True)
    accepted_at = Timestamp(required=True)


class TicketCancelledIn(EventReader):
    ticket_id = Text(100, min_length=1, required=True)
    reason = Text(1000, required=True)
    cancelled_at = Timestamp(required=True)


INCOMING_SCHEMAS = {
    "TicketCreated": TicketCreatedIn(),
    "QuoteAccepted": QuoteAcceptedIn(),
    "TicketCancelled": TicketCancelledIn(),
    "PartReserved": PartsReportIn(),
    "PartReservationFailed": PartsReportIn(),
}
