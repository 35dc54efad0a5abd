"""The desk's look-ups: tickets by site, region, state, priority and SLA deadline (keyset paging), customers
found by phone or name with their units and past tickets, and what is known about a serial."""
from __future__ import annotations

import base64
import binascii
import json

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate

from aftersales_shared.boundary import PRIORITIES, Blueprint, Choice, Code, ERROR, Text, Timestamp
from aftersales_shared.timeutil import parse_rfc3339

from ..adapters import queries
from ..domain.customers import normalised_phone
from ..domain.lifecycle import STATES

desk = Blueprint("desk", __name__, url_prefix="/api/v1", description="The hotline desk's look-ups")


def encode_cursor(row: dict, sort: str) -> str:
    raw = json.dumps([row[sort].isoformat(), row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str):
    try:
        value, ticket_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return parse_rfc3339(value), str(ticket_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("Not a cursor this API gave out; pass `next` from the previous page.") from None


class TicketQuery(Schema):
    site = Code(load_default=None)
    region = Code(load_default=None)
    state = Choice(STATES, load_default=None)
    priority = Choice(PRIORITIES, load_default=None)
    customer_id = Text(40, min_length=1, load_default=None)
    resolve_before = Timestamp(load_default=None, metadata={"description": "SLA resolve deadline before this"})
    sort = Choice(tuple(queries.SORTS), load_default="created_at")
    order = Choice(("asc", "desc"), load_default="desc")
    # Query strings are text: a plain Integer reads "20"; the shared Integer takes JSON numbers only.
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    after = Text(400, min_length=1, load_default=None, metadata={
        "description": "`next` of the previous page; anything else is a 422"})


class TicketSummary(Schema):
    id = fields.String()
    ticket_no = fields.String()
    state = fields.String()
    site = fields.String()
    region = fields.String()
    priority = fields.String()
    customer_id = fields.String()
    product_serial = fields.String()
    warranty_status = fields.String()
    resolve_by = Timestamp()
    created_at = Timestamp()
    escalation_deadline = Timestamp(allow_none=True)
    repeat_of = fields.String(allow_none=True)


class TicketPage(Schema):
    items = fields.List(fields.Nested(TicketSummary))
    next = fields.String(allow_none=True, metadata={"description": "Pass as `after` for the next page"})


class UnitOut(Schema):
    serial = fields.String()
    model = fields.String()
    category = fields.String()
    purchase_date = fields.Date(allow_none=True)
    batch = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    last_ticket_id = fields.String(allow_none=True)
    last_ticket_at = Timestamp(allow_none=True)


class CustomerRecord(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String()
    address = fields.String(allow_none=True)
    created_at = Timestamp()


class CustomerCard(CustomerRecord):
    units = fields.List(fields.Nested(UnitOut))
    tickets = fields.List(fields.Nested(TicketSummary))


class CustomerQuery(Schema):
    phone = Text(40, min_length=3, load_default=None)
    name = Text(200, min_length=1, load_default=None)


class CustomerPath(Schema):
    customer_id = Text(40, min_length=1, required=True)


class SerialPath(Schema):
    serial = Text(100, min_length=1, required=True)


def _reader():
    return current_app.extensions["intake"].read_uow_factory()


def ticket_page(query: dict) -> dict:
    """A page of tickets by the desk's filters (GET /api/v1/tickets)."""
    try:
        after = decode_cursor(query["after"]) if query["after"] else None
    except ValidationError as bad:
        abort(422, errors={"after": bad.messages})
    where = queries.TicketFilter(query["site"], query["region"], query["state"], query["priority"],
                                 query["customer_id"], query["resolve_before"])
    with _reader() as uow:
        rows = queries.find_tickets(uow.connection, where, query["sort"], query["order"] == "desc",
                                    query["limit"] + 1, after)
    more = len(rows) > query["limit"]
    rows = rows[:query["limit"]]
    return {"items": rows, "next": encode_cursor(rows[-1], query["sort"]) if more else None}


@desk.route("/customers")
class Customers(MethodView):
    @desk.arguments(CustomerQuery, location="query")
    @desk.response(200, CustomerRecord(many=True))
    def get(self, query):
        """Customers found by phone (however it is typed) or by part of the name."""
        phone = normalised_phone(query["phone"]) if query["phone"] else None
        with _reader() as uow:
            return queries.find_customers(uow.connection, phone, query["name"])


@desk.route("/customers/<customer_id>")
class CustomerById(MethodView):
    @desk.arguments(CustomerPath, location="path")
    @desk.response(200, CustomerCard)
    @desk.alt_response(404, schema=ERROR, description="No such customer")
    def get(self, _path, customer_id):
        """A customer with the units they own and their past tickets, newest first."""
        with _reader() as uow:
            found = queries.customer(uow.connection, customer_id)
            if found is None:
                abort(404, errors={"customer_id": [f"No customer {customer_id}."]})
            found["units"] = queries.units_of(uow.connection, customer_id)
            found["tickets"] = queries.find_tickets(uow.connection, queries.TicketFilter(customer_id=customer_id),
                                                    "created_at", True, 100, None)
        return found


@desk.route("/units/<serial>")
class UnitBySerial(MethodView):
    @desk.arguments(SerialPath, location="path")
    @desk.response(200, UnitOut)
    @desk.alt_response(404, schema=ERROR, description="Serial never seen")
    def get(self, _path, serial):
        """What a serial seen before tells: model, category, purchase date, batch, owner and last ticket."""
        with _reader() as uow:
            found = queries.unit(uow.connection, serial)
        if found is None:
            abort(404, errors={"serial": [f"Serial {serial} was never seen."]})
        return found
