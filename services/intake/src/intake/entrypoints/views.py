"""intake's HTTP API."""
from __future__ import annotations

import hashlib
import json

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import ERROR, Blueprint

from ..domain.tickets import Fault, IdempotencyConflict, PartRequest, Product
from ..service_layer import handlers
from ..service_layer.commands import CreateTicket
from .schemas import IdempotencyHeader, TicketOut, TicketPath, TicketRequest

tickets = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Service requests")
ATTEMPTS_ON_RACE = 3


def _intake():
    return current_app.extensions["intake"]


def _command(body: dict, key: str | None) -> CreateTicket:
    canonical = json.dumps(request.get_json(silent=True), sort_keys=True, separators=(",", ":"))
    return CreateTicket(
        channel=body["channel"], service_type=body["service_type"], priority=body["priority"],
        site=body["site"], region=body["region"],
        customer_name=body["customer"]["name"], customer_phone=body["customer"]["phone"],
        customer_address=body["customer"]["address"],
        product=Product(**body["product"]),
        fault=Fault(**body["fault"]),
        parts=tuple(PartRequest(**part) for part in body["parts"]),
        idempotency_key=key,
        request_hash=hashlib.sha256(canonical.encode()).hexdigest() if key else None,
    )


@tickets.route("")
class Tickets(MethodView):
    @tickets.arguments(IdempotencyHeader, location="headers")
    @tickets.arguments(TicketRequest)
    @tickets.response(201, TicketOut)
    @tickets.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    def post(self, headers, body):
        """Accept a service request: decide warranty and SLA, publish TicketCreated."""
        app = _intake()
        command = _command(body, headers["idempotency_key"])
        for attempt in range(ATTEMPTS_ON_RACE):
            try:
                ticket, created = handlers.create_ticket(command, app.uow_factory(), app.rules, app.events)
                break
            except IntegrityError:
                # A concurrent request took the same Idempotency-Key or ticket number; the next try sees it.
                if attempt == ATTEMPTS_ON_RACE - 1:
                    raise
            except IdempotencyConflict:
                abort(409, errors={"Idempotency-Key": ["Already used for a different request."]})
        return ticket, 201, {"Location": f"/api/v1/tickets/{ticket.id}", "Idempotent-Replayed": str(not created).lower()}


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
