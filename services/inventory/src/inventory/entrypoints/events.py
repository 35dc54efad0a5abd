"""Inventory's side of the wire: the reservation outcomes it publishes and the ticket events it reads."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import Boolean, EventReader, Integer, Money, Text, Timestamp

from ..domain.events import FaultyPartReturned, PartPriceChanged, PartReservationFailed, PartReserved

PART_NO = validate.Length(1, 64)
TICKET_ID = validate.Length(1, 200)


class _ReservedLine(Schema):
    part_no = fields.String(required=True, validate=PART_NO)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    from_site = fields.String(required=True)


class PartReservedV1(Schema):
    reservation_id = fields.String(required=True)
    ticket_id = fields.String(required=True, validate=TICKET_ID)
    site = fields.String(required=True)
    lines = fields.List(fields.Nested(_ReservedLine), required=True, validate=validate.Length(min=1))
    reserved_at = Timestamp(required=True)
    expires_at = Timestamp(required=True, allow_none=True)


class _Shortage(Schema):
    part_no = fields.String(required=True, validate=PART_NO)
    requested = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    available = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class PartReservationFailedV1(Schema):
    """Nothing was held for the ticket; ``shortages`` lists only the lines that were short."""

    reservation_id = fields.String(required=True)
    ticket_id = fields.String(required=True, validate=TICKET_ID)
    site = fields.String(required=True)
    shortages = fields.List(fields.Nested(_Shortage), required=True, validate=validate.Length(min=1))
    failed_at = Timestamp(required=True)
    #: Why the region could not make up the shortage either (e.g. the site's deposit), when there is a why.
    reason = fields.String(allow_none=True)


class PartPriceChangedV1(Schema):
    """A catalogue entry as it now is; ``revision`` rises with every change, so a receiver keeps the highest."""

    part_no = fields.String(required=True, validate=PART_NO)
    description = fields.String(required=True)
    category = fields.String(required=True)
    unit_cost = Money(required=True)
    list_price = Money(required=True, allow_none=True)
    returnable = Boolean(required=True)
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    effective_at = Timestamp(required=True)


class FaultyPartReturnedV1(Schema):
    """A step in the custody of a replaced part: back from the engineer, shipped to the supplier, or the
    supplier's outcome (``outcome`` only at that last stage)."""

    ticket_id = fields.String(required=True, validate=TICKET_ID)
    part_no = fields.String(required=True, validate=PART_NO)
    faulty_serial = fields.String(required=True, allow_none=True)
    site = fields.String(required=True)
    region = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(
        ("received_from_engineer", "shipped_to_supplier", "supplier_outcome")))
    outcome = fields.String(required=True, allow_none=True,
                            validate=validate.OneOf(("repaired", "replaced", "rejected", "credited")))
    returned_at = Timestamp(required=True)


PUBLISHED = {
    "PartReserved": PartReservedV1,
    "PartReservationFailed": PartReservationFailedV1,
    "PartPriceChanged": PartPriceChangedV1,
    "FaultyPartReturned": FaultyPartReturnedV1,
}
# One instance each, built once: building a schema costs more than dumping an event with it.
_WRITE = {name: schema() for name, schema in PUBLISHED.items()}


def part_reserved_data(event: PartReserved) -> dict:
    reservation = event.reservation
    return _WRITE["PartReserved"].dump({
        "reservation_id": reservation.id, "ticket_id": reservation.ticket_id, "site": reservation.site,
        "lines": reservation.lines, "reserved_at": reservation.created_at, "expires_at": None,
    })


def part_reservation_failed_data(event: PartReservationFailed) -> dict:
    reservation = event.reservation
    return _WRITE["PartReservationFailed"].dump({
        "reservation_id": reservation.id, "ticket_id": reservation.ticket_id, "site": reservation.site,
        "shortages": reservation.shortages, "failed_at": reservation.created_at, "reason": reservation.reason,
    })


def part_price_changed_data(event: PartPriceChanged) -> dict:
    part = event.part
    return _WRITE["PartPriceChanged"].dump({
        "part_no": part.part_no, "description": part.description, "category": part.category,
        "unit_cost": part.unit_cost, "list_price": part.list_price, "returnable": part.returnable,
        "revision": part.revision, "effective_at": event.effective_at,
    })


def faulty_part_returned_data(event: FaultyPartReturned) -> dict:
    part = event.part
    return _WRITE["FaultyPartReturned"].dump({
        "ticket_id": part.ticket_id, "part_no": part.part_no, "faulty_serial": part.faulty_serial,
        "site": part.site, "region": part.region, "stage": event.stage,
        "outcome": part.outcome if event.stage == "supplier_outcome" else None, "returned_at": event.at,
    })


OUTGOING = {
    PartReserved: part_reserved_data,
    PartReservationFailed: part_reservation_failed_data,
    PartPriceChanged: part_price_changed_data,
    FaultyPartReturned: faulty_part_returned_data,
}


class _PartLine(EventReader):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, required=True)


class _UsedPart(_PartLine):
    # Any string the contract allows; custody keeps what its column holds (see expect_faulty_parts).
    faulty_serial = fields.String(allow_none=True, load_default=None)


class TicketPartsRequested(EventReader):
    """What inventory needs of TicketCreated: which ticket, which parts (the site is the envelope's), and
    whether the customer must accept a quote before anything is held."""

    ticket_id = Text(200, min_length=1, required=True)
    parts = fields.List(fields.Nested(_PartLine), required=True)
    quote_required = fields.Boolean(allow_none=True, load_default=False)


class TicketNamed(EventReader):
    """QuoteAccepted, TicketCancelled, TicketClosed: inventory needs only which ticket."""

    ticket_id = Text(200, min_length=1, required=True)


class RepairPartsUsed(EventReader):
    """What inventory needs of RepairCompleted: which ticket, which parts were fitted, and when."""

    ticket_id = Text(200, min_length=1, required=True)
    parts_used = fields.List(fields.Nested(_UsedPart), required=True)
    completed_at = Timestamp(required=True)


INCOMING_SCHEMAS = {
    "TicketCreated": TicketPartsRequested(),
    "QuoteAccepted": TicketNamed(),
    "TicketCancelled": TicketNamed(),
    "TicketClosed": TicketNamed(),
    "RepairCompleted": RepairPartsUsed(),
}
