"""Inventory's side of the wire: the reservation outcomes it publishes and the ticket events it reads."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import EventReader, Integer, Text, Timestamp

from ..domain.events import PartReservationFailed, PartReserved

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


PUBLISHED = {
    "PartReserved": PartReservedV1,
    "PartReservationFailed": PartReservationFailedV1,
}


def part_reserved_data(event: PartReserved) -> dict:
    reservation = event.reservation
    return PartReservedV1().dump({
        "reservation_id": reservation.id, "ticket_id": reservation.ticket_id, "site": reservation.site,
        "lines": reservation.lines, "reserved_at": reservation.created_at, "expires_at": None,
    })


def part_reservation_failed_data(event: PartReservationFailed) -> dict:
    reservation = event.reservation
    return PartReservationFailedV1().dump({
        "reservation_id": reservation.id, "ticket_id": reservation.ticket_id, "site": reservation.site,
        "shortages": reservation.shortages, "failed_at": reservation.created_at,
    })


OUTGOING = {PartReserved: part_reserved_data, PartReservationFailed: part_reservation_failed_data}


class _PartLine(EventReader):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, required=True)


class TicketPartsRequested(EventReader):
    """What inventory needs of TicketCreated: which ticket, which parts (the site is the envelope's)."""

    ticket_id = Text(200, min_length=1, required=True)
    parts = fields.List(fields.Nested(_PartLine), required=True)


class RepairPartsUsed(EventReader):
    """What inventory needs of RepairCompleted: which ticket, which parts were fitted, and when."""

    ticket_id = Text(200, min_length=1, required=True)
    parts_used = fields.List(fields.Nested(_PartLine), required=True)
    completed_at = Timestamp(required=True)


INCOMING_SCHEMAS = {
    "TicketCreated": TicketPartsRequested(),
    "RepairCompleted": RepairPartsUsed(),
}
