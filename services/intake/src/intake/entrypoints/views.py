"""intake's HTTP API."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.tickets import Fault, PartRequest, Product, Ticket
from ..service_layer import handlers
from ..service_layer.commands import CreateTicket
from .schemas import TicketOut, TicketPath, TicketRequest

tickets = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Service requests")
ATTEMPTS_ON_RACE = 3


def _intake():
    return current_app.extensions["intake"]


def _command(body: dict, key: str | None) -> CreateTicket:
    return CreateTicket(
        channel=body["channel"], service_type=body["service_type"], priority=body["priority"],
        site=body["site"], region=body["region"],
        customer_name=body["customer"]["name"], customer_phone=body["customer"]["phone"],
        customer_address=body["customer"]["address"],
        product=Product(**body["product"]),
        fault=Fault(**body["fault"]),
        parts=tuple(PartRequest(**part) for part in body["parts"]),
        request=idempotent_request(key),
    )


def _answer(ticket: Ticket) -> Answer:
    return Answer(201, TicketOut().dump(ticket), ticket.id)


def _location(ticket_id: str) -> dict:
    return {"Location": f"/api/v1/tickets/{ticket_id}"}


def _replay(replayed: Replayed):
    ticket_id = replayed.answer.resource_id
    if replayed.answer.body is None:
        # A key taken before answers were kept: the ticket it created, as it is now.
        with _intake().uow_factory() as uow:
            replayed = Replayed(_answer(uow.tickets.get(ticket_id)))
    return replay(replayed, _location(ticket_id))


@tickets.route("")
class Tickets(MethodView):
    @tickets.arguments(IdempotencyHeader, location="headers")
    @tickets.arguments(TicketRequest)
    @tickets.response(201, TicketOut, headers=REPLAYED_HEADER)
    @tickets.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    def post(self, headers, body):
        """Accept a service request: decide warranty and SLA, publish TicketCreated."""
        app = _intake()
        command = _command(body, headers["idempotency_key"])
        for attempt in range(ATTEMPTS_ON_RACE):
            try:
                ticket = handlers.create_ticket(command, app.uow_factory(), app.rules, app.events, answer=_answer)
                break
            except IntegrityError:
                # A concurrent request took the same ticket number; the next try takes the next one.
                if attempt == ATTEMPTS_ON_RACE - 1:
                    raise
        if isinstance(ticket, Replayed):
            return _replay(ticket)
        return ticket, 201, {**_location(ticket.id), "Idempotent-Replayed": "false"}


@tickets.route("/<ticket_id>")
class TicketById(MethodView):
    @tickets.arguments(TicketPath, location="path")
    @tickets.response(200, TicketOut)
    @tickets.alt_response(404, schema=ERROR, description="No such ticket")
    def get(self, _path, ticket_id):
        """The ticket with its status and the timeline of every event seen for it."""
        with _intake().uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            abort(404, errors={"ticket_id": [f"No ticket {ticket_id}."]})
        return ticket
