"""inventory's HTTP API."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.stock import StockLevel, StockLimitExceeded
from ..service_layer import handlers
from ..service_layer.commands import ReceiveStock
from .schemas import ReceiptRequest, SiteQuery, StockLevelOut, StockQuery

stock = Blueprint("stock", __name__, url_prefix="/api/v1/stock", description="Spare parts per service point")


def _inventory():
    return current_app.extensions["inventory"]


@stock.route("")
class StockOfPart(MethodView):
    @stock.arguments(StockQuery, location="query")
    @stock.response(200, StockLevelOut)
    def get(self, query):
        """Stock of one part at one site; a part never received there is all zeros."""
        with _inventory().uow_factory() as uow:
            level = uow.stock.get(query["site"], query["part_no"])
        return level or StockLevel(query["site"], query["part_no"])


@stock.route("/levels")
class StockAtSite(MethodView):
    @stock.arguments(SiteQuery, location="query")
    @stock.response(200, StockLevelOut(many=True))
    def get(self, query):
        """Every part stocked at a site, by part number."""
        with _inventory().uow_factory() as uow:
            return uow.stock.at_site(query["site"])


@stock.route("/receipts")
class StockReceipts(MethodView):
    @stock.arguments(IdempotencyHeader, location="headers")
    @stock.arguments(ReceiptRequest)
    @stock.response(201, StockLevelOut, headers=REPLAYED_HEADER)
    @stock.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    @stock.alt_response(422, schema=ERROR, description="The shelf cannot count that many more")
    def post(self, headers, body):
        """Book parts received at a site; the part's moving-average unit cost follows."""
        command = ReceiveStock(site=body["site"], part_no=body["part_no"], qty=body["qty"],
                               unit_cost=body["unit_cost"], request=idempotent_request(headers["idempotency_key"]))
        try:
            level = handlers.receive_stock(command, _inventory().uow_factory(),
                                           answer=lambda level: Answer(201, StockLevelOut().dump(level)))
        except StockLimitExceeded as exc:
            abort(422, errors={"qty": [str(exc)]})
        if isinstance(level, Replayed):
            return replay(level)
        return level, 201, {"Idempotent-Replayed": "false"}
