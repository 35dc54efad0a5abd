"""Dispatch's side of the wire: the EngineerAssigned and RepairCompleted it publishes and the events it reads."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from aftersales_shared.fields import Timestamp

from ..domain.work_orders import IN_WARRANTY, OUT_OF_WARRANTY, OUTCOMES, UNKNOWN, WorkOrder

SERVICE_TYPES = ("onsite", "depot", "mail_in", "install")
PRIORITIES = ("P1", "P2", "P3", "P4")
TICKET_WARRANTY_STATUSES = (IN_WARRANTY, OUT_OF_WARRANTY, UNKNOWN)
DECIDED_WARRANTY_STATUSES = (IN_WARRANTY, OUT_OF_WARRANTY)
TICKET_ID = validate.Length(1, 100)


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
    service_type = fields.String(required=True, validate=validate.OneOf(SERVICE_TYPES))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    dispatched_at = Timestamp(allow_none=True)
    arrived_at = Timestamp(allow_none=True)
    completed_at = Timestamp(required=True)
    labour_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10080))
    parts_used = fields.List(fields.Nested(_PartUsed), required=True)
    failure = fields.Nested(_Failure, required=True)
    warranty_status = fields.String(required=True, validate=validate.OneOf(DECIDED_WARRANTY_STATUSES))
    product = fields.Nested(_Product, required=True)
    customer_signed = fields.Boolean()
    satisfaction = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 5))


PUBLISHED = {"EngineerAssigned": EngineerAssignedV1, "RepairCompleted": RepairCompletedV1}


def engineer_assigned_data(work_order: WorkOrder) -> dict:
    return EngineerAssignedV1().dump({
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": work_order.engineer_id,
        "site": work_order.site, "assigned_at": work_order.dispatched_at,
    })


def repair_completed_data(work_order: WorkOrder) -> dict:
    report = work_order.completion
    return RepairCompletedV1().dump({
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": work_order.engineer_id,
        "service_type": work_order.service_type, "outcome": report.outcome,
        "dispatched_at": work_order.dispatched_at, "arrived_at": report.arrived_at,
        "completed_at": work_order.completed_at, "labour_minutes": report.labour_minutes,
        "parts_used": report.parts_used, "failure": report.failure, "warranty_status": report.warranty_status,
        "product": work_order.product, "customer_signed": report.customer_signed,
        "satisfaction": report.satisfaction,
    })


class _TolerantReader(Schema):
    class Meta:
        unknown = EXCLUDE


class _TicketProduct(_TolerantReader):
    model = fields.String(required=True, validate=validate.Length(1, 200))
    serial = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 200))
    purchase_date = fields.Date(load_default=None, allow_none=True)
    batch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class _TicketWarranty(_TolerantReader):
    status = fields.String(required=True, validate=validate.OneOf(TICKET_WARRANTY_STATUSES))


class _TicketSla(_TolerantReader):
    respond_by = Timestamp(required=True)
    resolve_by = Timestamp(required=True)


class TicketCreatedIn(_TolerantReader):
    """The ticket facts a work order keeps; the site and region come from the envelope."""

    ticket_id = fields.String(required=True, validate=TICKET_ID)
    service_type = fields.String(required=True, validate=validate.OneOf(SERVICE_TYPES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    product = fields.Nested(_TicketProduct, required=True)
    warranty = fields.Nested(_TicketWarranty, required=True)
    sla = fields.Nested(_TicketSla, required=True)
    created_at = Timestamp(required=True)


class PartsReportIn(_TolerantReader):
    """PartReserved or PartReservationFailed: dispatch only needs to know which ticket and whether parts are held."""

    ticket_id = fields.String(required=True, validate=TICKET_ID)
    reservation_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


INCOMING_SCHEMAS = {
    "TicketCreated": TicketCreatedIn(),
    "PartReserved": PartsReportIn(),
    "PartReservationFailed": PartsReportIn(),
}
