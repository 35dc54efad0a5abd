"""Intake's side of the wire: the TicketCreated it publishes and the reports it reads back."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    CHANNELS, PRIORITIES, SERVICE_TYPES, TICKET_WARRANTY_STATUSES, Choice, EventReader, Text, Timestamp,
)
from ..domain.events import TicketCreated


class _Customer(Schema):
    customer_id = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    phone = fields.String(required=True, validate=validate.Length(3, 40))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))


class _Product(Schema):
    model = fields.String(required=True, validate=validate.Length(min=1))
    serial = fields.String(required=True, validate=validate.Length(min=1))
    category = fields.String(required=True, validate=validate.Length(min=1))
    purchase_date = fields.Date(required=True, allow_none=True)
    batch = fields.String(allow_none=True)


class _Fault(Schema):
    symptom_code = fields.String(allow_none=True)
    description = fields.String(required=True, validate=validate.Length(1, 4000))
    first_open_failure = fields.Boolean(required=True)


class _Warranty(Schema):
    status = Choice(TICKET_WARRANTY_STATUSES, required=True)
    expires_on = fields.Date(required=True, allow_none=True)


class _Part(Schema):
    part_no = fields.String(required=True, validate=validate.Length(min=1))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class _Sla(Schema):
    respond_by = Timestamp(required=True)
    resolve_by = Timestamp(required=True)


class TicketCreatedV1(Schema):
    """TicketCreated v1 data; the JSON Schema handed to dealers is exported from it."""

    ticket_id = fields.String(required=True, validate=validate.Length(min=1))
    ticket_no = fields.String()
    channel = Choice(CHANNELS, required=True)
    partner_id = fields.String(allow_none=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    priority = Choice(PRIORITIES, required=True)
    customer = fields.Nested(_Customer, required=True)
    product = fields.Nested(_Product, required=True)
    fault = fields.Nested(_Fault, required=True)
    warranty = fields.Nested(_Warranty, required=True)
    parts = fields.List(fields.Nested(_Part), required=True)
    sla = fields.Nested(_Sla, required=True)
    created_at = Timestamp(required=True)


def ticket_created_data(event: TicketCreated) -> dict:
    ticket = event.ticket
    return TicketCreatedV1().dump({
        "ticket_id": ticket.id, "ticket_no": ticket.ticket_no, "channel": ticket.channel,
        "partner_id": ticket.partner_id, "service_type": ticket.service_type, "priority": ticket.priority,
        "customer": ticket.customer, "product": ticket.product, "fault": ticket.fault,
        "warranty": ticket.warranty, "parts": ticket.parts, "sla": ticket.sla, "created_at": ticket.created_at,
    })


class TicketReport(EventReader):
    """What intake needs of any event about a ticket: which ticket. The rest is kept as detail."""

    # No longer than the timeline's ticket_id column: a longer id could never be stored, only retried.
    ticket_id = Text(64, min_length=1, required=True)


INCOMING_SCHEMAS = {
    event_type: TicketReport()
    for event_type in ("PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted", "SettlementPosted")
}

PUBLISHED = {"TicketCreated": TicketCreatedV1}
OUTGOING = {TicketCreated: ticket_created_data}
