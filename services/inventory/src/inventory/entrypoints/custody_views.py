"""Faulty parts in custody over HTTP: what is expected back, what is overdue, RMAs and their outcomes."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import ERROR, Blueprint
from aftersales_shared.timeutil import utcnow

from ..domain.custody import CustodyStepRefused
from ..service_layer import custody
from .schemas import FaultyPartOut, FaultyPartPath, FaultyPartQuery, OutcomeRequest, OverdueQuery, RmaRequest

faulty_parts = Blueprint("faulty_parts", __name__, url_prefix="/api/v1/faulty-parts",
                         description="Replaced parts on their way back to the supplier")


def _inventory():
    return current_app.extensions["inventory"]


def _view(uow, part) -> dict:
    return {**vars(part), "escalated": part.escalated_at is not None,
            "follow_ups": uow.custody.follow_ups_of(part.id)}


@faulty_parts.route("")
class FaultyParts(MethodView):
    @faulty_parts.arguments(FaultyPartQuery, location="query")
    @faulty_parts.response(200, FaultyPartOut(many=True))
    def get(self, query):
        """Faulty parts by site and status, oldest first, with their follow-ups."""
        with _inventory().reader() as uow:
            return [_view(uow, part) for part in uow.custody.listed(query["site"], query["status"])]


@faulty_parts.route("/overdue")
class OverdueFaultyParts(MethodView):
    @faulty_parts.arguments(OverdueQuery, location="query")
    @faulty_parts.response(200, FaultyPartOut(many=True))
    def get(self, query):
        """Parts still with the engineer more than 6 hours after the repair, longest overdue first."""
        with _inventory().reader() as uow:
            return [_view(uow, part) for part in uow.custody.overdue(utcnow(), query["site"])]


def _step(run):
    inventory = _inventory()
    try:
        part = run(inventory)
    except custody.UnknownFaultyPart as exc:
        abort(404, errors={"part_id": [f"No faulty part {exc}."]})
    except CustodyStepRefused as exc:
        abort(409, errors={"status": [str(exc)]})
    with inventory.reader() as uow:
        return _view(uow, part)


@faulty_parts.route("/<part_id>/received")
class FromEngineer(MethodView):
    @faulty_parts.arguments(FaultyPartPath, location="path")
    @faulty_parts.response(200, FaultyPartOut)
    @faulty_parts.alt_response(404, schema=ERROR, description="No such faulty part")
    @faulty_parts.alt_response(409, schema=ERROR, description="Not awaiting the engineer any more")
    def post(self, _path, part_id):
        """The engineer handed the part in at the parts desk."""
        return _step(lambda inv: custody.receive_from_engineer(part_id, inv.uow_factory(), inv.events))


@faulty_parts.route("/<part_id>/rma")
class ToSupplier(MethodView):
    @faulty_parts.arguments(FaultyPartPath, location="path")
    @faulty_parts.arguments(RmaRequest)
    @faulty_parts.response(200, FaultyPartOut)
    @faulty_parts.alt_response(404, schema=ERROR, description="No such faulty part")
    @faulty_parts.alt_response(409, schema=ERROR, description="Not at the parts desk")
    def post(self, _path, body, part_id):
        """Shipped to the supplier under an RMA; follow-ups fall due at 3, 7, 15 and 30 days."""
        return _step(lambda inv: custody.ship_to_supplier(part_id, body["supplier"], body["rma_no"],
                                                          inv.uow_factory(), inv.events))


@faulty_parts.route("/<part_id>/outcome")
class SupplierOutcome(MethodView):
    @faulty_parts.arguments(FaultyPartPath, location="path")
    @faulty_parts.arguments(OutcomeRequest)
    @faulty_parts.response(200, FaultyPartOut)
    @faulty_parts.alt_response(404, schema=ERROR, description="No such faulty part")
    @faulty_parts.alt_response(409, schema=ERROR, description="Not at the supplier")
    def post(self, _path, body, part_id):
        """The supplier's verdict: repaired, replaced, rejected or credited; follow-ups stop."""
        return _step(lambda inv: custody.record_outcome(part_id, body["outcome"], inv.uow_factory(), inv.events))
