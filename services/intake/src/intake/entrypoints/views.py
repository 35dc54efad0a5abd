"""intake's HTTP API."""
from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.lifecycle import IllegalTransition
from ..domain.tickets import Fault, PartRequest, Product, Ticket
from ..service_layer import handlers
from ..service_layer.commands import (
    CloseTicket, CreateTicket, FileComplaint, GiveQuote, RecordCallback, SupplyProof, TicketAction,
)
from .desk_views import TicketPage, TicketQuery, ticket_page
from .schemas import (
    ActionIn, CallbackIn, CancelIn, CloseIn, ComplaintIn, ProofIn, QuoteIn, ResolveIn, TicketOut, TicketPath,
    TicketRequest,
)

tickets = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Service requests")
ATTEMPTS_ON_RACE = 3
# Built once: the creating POST is on the hot path.
_TICKET_OUT = TicketOut()


@tickets.errorhandler(IllegalTransition)
def _illegal(error: IllegalTransition):
    return jsonify(code=409, status="Conflict", message=f"The ticket is {error.state}.",
                   errors={"state": [error.reason]}), 409


@tickets.errorhandler(handlers.TicketNotFound)
def _not_found(error):
    return jsonify(code=404, status="Not Found", errors={"ticket_id": [f"No ticket {error}."]}), 404


@tickets.errorhandler(handlers.ArticleNotFound)
def _no_article(error):
    return jsonify(code=422, status="Unprocessable Entity", errors={"article_id": [f"No article {error}."]}), 422


@tickets.errorhandler(handlers.ConcurrentChange)
def _raced(error):
    return jsonify(code=409, status="Conflict", errors={"state": ["The ticket changed meanwhile; try again."]}), 409


def _intake():
    return current_app.extensions["intake"]


def _command(body: dict, key: str | None) -> CreateTicket:
    return CreateTicket(
        channel=body["channel"], service_type=body["service_type"], priority=body["priority"],
        site=body["site"], region=body["region"],
        customer_name=body["customer"]["name"], customer_phone=body["customer"]["phone"],
        customer_address=body["customer"]["address"],
        product=Product(**body["product"]),
        fault=Fault(**{**body["fault"], "conditions": tuple(body["fault"]["conditions"])}),
        parts=tuple(PartRequest(**part) for part in body["parts"]),
        request=idempotent_request(key),
        quote_required=body["quote_required"], diagnose_first=body["diagnose_first"], operator=body["operator"],
    )


def _answer(ticket: Ticket) -> Answer:
    return Answer(201, _TICKET_OUT.dump(ticket), ticket.id)


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
    @tickets.arguments(TicketQuery, location="query")
    @tickets.response(200, TicketPage)
    @tickets.alt_response(422, schema=ERROR, description="`after` is not a cursor this API gave out")
    def get(self, query):
        """Tickets by site, region, state, priority, customer and SLA deadline; keyset paging (pass `next` as
        `after`), stable under inserts; sorted by created_at or resolve_by."""
        return ticket_page(query)

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
        with _intake().read_uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            abort(404, errors={"ticket_id": [f"No ticket {ticket_id}."]})
        return ticket


# -- operator actions: each a move of the lifecycle, 409 naming the state when it is not allowed -----------

_CONFLICT = "Not allowed in the ticket's current state (named in `state`), or the ticket changed meanwhile"


def _action_route(path: str, body_schema, summary: str, command, unprocessable: str | None = None):
    def post(self, _path, body, ticket_id):
        app = _intake()
        return command(app, ticket_id, body)

    post.__doc__ = summary
    if unprocessable:
        post = tickets.alt_response(422, schema=ERROR, description=unprocessable)(post)
    post = tickets.arguments(TicketPath, location="path")(tickets.arguments(body_schema)(
        tickets.response(200, TicketOut)(tickets.alt_response(404, schema=ERROR, description="No such ticket")(
            tickets.alt_response(409, schema=ERROR, description=_CONFLICT)(post)))))
    view = type(f"Ticket{path.title().replace('/', '').replace('-', '')}", (MethodView,), {"post": post})
    tickets.route(f"/<ticket_id>/{path}")(view)


def _act(action: str):
    def run(app, ticket_id, body):
        cmd = TicketAction(ticket_id, action, body["operator"], body.get("reason", ""), body.get("article_id"))
        return handlers.act(cmd, app.uow_factory(), app.rules, app.events)
    return run


_action_route("dispatch", ActionIn, "Send a ticket being diagnosed on the phone on for dispatch (TicketCreated).",
              _act("dispatch"))
_action_route("resolve-by-phone", ResolveIn, "Solved on the phone: closed without dispatch, the article recorded.",
              _act("resolve_by_phone"), unprocessable="No knowledge-base article with that article_id")
_action_route("cancel", CancelIn, "Cancel (TicketCancelled); refused once parts are reserved or work has started.",
              _act("cancel"))
_action_route("quote/accept", ActionIn, "The customer accepts the quote: QuoteAccepted, on to dispatch.",
              _act("accept_quote"))
_action_route("quote/decline", ActionIn, "The customer declines the quote: the ticket closes (TicketClosed).",
              _act("decline_quote"))
_action_route("quote", QuoteIn, "Quote an out-of-warranty repair that waits for one.",
              lambda app, ticket_id, body: handlers.give_quote(
                  GiveQuote(ticket_id, body["amount"], body["valid_until"], body["operator"]),
                  app.uow_factory(), app.rules))
_action_route("callback", CallbackIn, "A satisfaction callback try: done with a score, or failed (N tries at most).",
              lambda app, ticket_id, body: handlers.record_callback(
                  RecordCallback(ticket_id, body["outcome"], body["score"], body["remarks"], body["operator"]),
                  app.uow_factory(), app.rules, app.events))
_action_route("close", CloseIn, "Close a ticket whose callback is done (TicketClosed).",
              lambda app, ticket_id, body: handlers.close_ticket(
                  CloseTicket(ticket_id, body["resolution"], body["reason"], body["operator"]),
                  app.uow_factory(), app.rules, app.events))
_action_route("complaints", ComplaintIn, "A major complaint: escalate to a handling group with its own deadline.",
              lambda app, ticket_id, body: handlers.file_complaint(
                  FileComplaint(ticket_id, body["group"], body["deadline"], body["reason"], body["operator"]),
                  app.uow_factory(), app.rules))
_action_route("warranty", ProofIn, "Proof of purchase seen after the call: the warranty is decided again.",
              lambda app, ticket_id, body: handlers.supply_proof(
                  SupplyProof(ticket_id, body["purchase_date"], body["proof_of_purchase"], body["operator"]),
                  app.uow_factory(), app.rules))
