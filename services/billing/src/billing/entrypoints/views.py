"""billing's HTTP API: read-only; settlements are booked from events."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import ERROR, Blueprint

from .schemas import FeeScheduleOut, SettlementOut, SettlementPath, SettlementQuery

settlements = Blueprint("settlements", __name__, url_prefix="/api/v1/settlements", description="Booked settlements")
fee_schedule = Blueprint("fee_schedule", __name__, url_prefix="/api/v1/fee-schedule", description="Prices in force")


def _billing():
    return current_app.extensions["billing"]


@settlements.route("")
class SettlementsOfTicket(MethodView):
    @settlements.arguments(SettlementQuery, location="query")
    @settlements.response(200, SettlementOut(many=True))
    def get(self, query):
        """The settlements of one ticket, oldest first (one per work order)."""
        with _billing().uow_factory() as uow:
            return uow.settlements.for_ticket(query["ticket_id"])


@settlements.route("/<settlement_id>")
class SettlementById(MethodView):
    @settlements.arguments(SettlementPath, location="path")
    @settlements.response(200, SettlementOut)
    @settlements.alt_response(404, schema=ERROR, description="No such settlement")
    def get(self, _path, settlement_id):
        """One settlement with its lines and totals."""
        with _billing().uow_factory() as uow:
            settlement = uow.settlements.get(settlement_id)
        if settlement is None:
            abort(404, errors={"settlement_id": [f"No settlement {settlement_id}."]})
        return settlement


@fee_schedule.route("")
class FeeScheduleInForce(MethodView):
    @fee_schedule.response(200, FeeScheduleOut)
    def get(self):
        """The fee schedule this service prices repairs with, loaded at start-up."""
        return _billing().rules.schedule
