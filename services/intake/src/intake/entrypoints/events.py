"""Intake's side of the wire: the TicketCreated it publishes and the reports it reads back."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import (
    CHANNELS, PRIORITIES, SERVICE_TYPES, TICKET_WARRANTY_STATUSES, Choice, EventReader, Text, Timestamp,
)
from aftersales_shared.boundary import Money
from ..domain.events import CallbackCompleted, QuoteAccepted, TicketCancelled, TicketClosed, TicketCreated
from ..domain.lifecycle import CALLBACK_OUTCOMES, RESOLUTIONS


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
    # Dispatch and inventory wait for QuoteAccepted when true.
    quote_required = fields.Boolean(load_default=False)
    # The earlier ticket this call repeats (same serial inside the repeat window).
    repeat_of = fields.String(allow_none=True, load_default=None)


class _TicketEvent(Schema):
    ticket_id = fields.String(required=True, validate=validate.Length(min=1))
    site = fields.String(required=True)
    region = fields.String(required=True)


class TicketCancelledV1(_TicketEvent):
    reason = fields.String(required=True)
    cancelled_at = Timestamp(required=True)


class TicketClosedV1(_TicketEvent):
    resolution = Choice(RESOLUTIONS, required=True)
    closed_at = Timestamp(required=True)


class QuoteAcceptedV1(_TicketEvent):
    amount = Money(required=True)
    accepted_at = Timestamp(required=True)


class CallbackCompletedV1(_TicketEvent):
    outcome = Choice(CALLBACK_OUTCOMES, required=True)
    score = fields.Integer(required=True, allow_none=True, validate=validate.Range(1, 5))
    remarks = fields.String(required=True, allow_none=True)
    attempts = fields.Integer(required=True, validate=validate.Range(min=1))
    completed_at = Timestamp(required=True)


# Built once: a schema per request would cost the hot path for nothing.
_TICKET_CREATED = TicketCreatedV1()
_CANCELLED, _CLOSED, _QUOTE, _CALLBACK = TicketCancelledV1(), TicketClosedV1(), QuoteAcceptedV1(), CallbackCompletedV1()


def _where(ticket) -> dict:
    return {"ticket_id": ticket.id, "site": ticket.site, "region": ticket.region}


def ticket_cancelled_data(event: TicketCancelled) -> dict:
    return _CANCELLED.dump({**_where(event.ticket), "reason": event.reason, "cancelled_at": event.cancelled_at})


def ticket_closed_data(event: TicketClosed) -> dict:
    return _CLOSED.dump({**_where(event.ticket), "resolution": event.resolution, "closed_at": event.closed_at})


def quote_accepted_data(event: QuoteAccepted) -> dict:
    return _QUOTE.dump({**_where(event.ticket), "amount": event.ticket.quote.amount,
                        "accepted_at": event.accepted_at})


def callback_completed_data(event: CallbackCompleted) -> dict:
    return _CALLBACK.dump({**_where(event.ticket), "outcome": event.outcome, "score": event.score,
                           "remarks": event.remarks, "attempts": event.ticket.callback_attempts,
                           "completed_at": event.completed_at})


def ticket_created_data(event: TicketCreated) -> dict:
    ticket = event.ticket
    return _TICKET_CREATED.dump({
        "ticket_id": ticket.id, "ticket_no": ticket.ticket_no, "channel": ticket.channel,
        "partner_id": ticket.partner_id, "service_type": ticket.service_type, "priority": ticket.priority,
        "customer": ticket.customer, "product": ticket.product, "fault": ticket.fault,
        "warranty": ticket.warranty, "parts": ticket.parts, "sla": ticket.sla, "created_at": ticket.created_at,
        "quote_required": ticket.quote_required, "repeat_of": ticket.repeat_of,
    })


class TicketReport(EventReader):
    """What intake needs of any event about a ticket: which ticket. The rest is kept as detail."""

    # No longer than the timeline's ticket_id column: a longer id could never be stored, only retried.
    ticket_id = Text(64, min_length=1, required=True)


INCOMING_SCHEMAS = {
    event_type: TicketReport()
    for event_type in ("PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted",
                       "SettlementPosted", "SlaBreached")
}

PUBLISHED = {"TicketCreated": TicketCreatedV1, "TicketCancelled": TicketCancelledV1, "TicketClosed": TicketClosedV1,
             "QuoteAccepted": QuoteAcceptedV1, "CallbackCompleted": CallbackCompletedV1}
OUTGOING = {TicketCreated: ticket_created_data, TicketCancelled: ticket_cancelled_data,
            TicketClosed: ticket_closed_data, QuoteAccepted: quote_accepted_data,
            CallbackCompleted: callback_completed_data}
