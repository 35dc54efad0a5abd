"""inventory's HTTP API."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.sites import DepositExceeded
from ..domain.stock import InsufficientStock, StockLevel, StockLimitExceeded
from ..service_layer import handlers
from ..service_layer.commands import AdjustStock, PutPart, ReceiveStock
from .schemas import (
    AdjustmentRequest, LedgerOut, PartIn, PartOut, PartPath, ReceiptRequest, SiteQuery, StockLevelOut, StockQuery,
)

stock = Blueprint("stock", __name__, url_prefix="/api/v1/stock", description="Spare parts per service point")
catalogue = Blueprint("parts", __name__, url_prefix="/api/v1/parts",
                      description="The parts catalogue: what a part is, costs and sells for")


def _inventory():
    return current_app.extensions["inventory"]


@stock.route("")
class StockOfPart(MethodView):
    @stock.arguments(StockQuery, location="query")
    @stock.response(200, StockLevelOut)
    def get(self, query):
        """Stock of one part at one site; a part never received there is all zeros."""
        with _inventory().reader() as uow:
            level = uow.stock.get(query["site"], query["part_no"])
        return level or StockLevel(query["site"], query["part_no"])


@stock.route("/levels")
class StockAtSite(MethodView):
    @stock.arguments(SiteQuery, location="query")
    @stock.response(200, StockLevelOut(many=True))
    def get(self, query):
        """Every part stocked at a site, by part number."""
        with _inventory().reader() as uow:
            return uow.stock.at_site(query["site"])


@stock.route("/receipts")
class StockReceipts(MethodView):
    @stock.arguments(IdempotencyHeader, location="headers")
    @stock.arguments(ReceiptRequest)
    @stock.response(201, StockLevelOut, headers=REPLAYED_HEADER)
    @stock.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    @stock.alt_response(422, schema=ERROR, description="The shelf cannot count that many more, or the site's "
                                                       "deposit would be passed")
    def post(self, headers, body):
        """Book parts received at a site; the part's moving-average unit cost follows."""
        command = ReceiveStock(site=body["site"], part_no=body["part_no"], qty=body["qty"],
                               unit_cost=body["unit_cost"], request=idempotent_request(headers["idempotency_key"]),
                               region=body["region"])
        inventory = _inventory()
        try:
            level = handlers.receive_stock(command, inventory.uow_factory(), inventory.events,
                                           answer=lambda level: Answer(201, StockLevelOut().dump(level)))
        except (StockLimitExceeded, DepositExceeded) as exc:
            abort(422, errors={"qty": [str(exc)]})
        if isinstance(level, Replayed):
            return replay(level)
        # Backordered tickets at the site are served now (and by the periodic job, should this stop here).
        handlers.fulfil_backorders(body["site"], [body["part_no"]], inventory.uow_factory, inventory.events)
        return level, 201, {"Idempotent-Replayed": "false"}


@stock.route("/adjustments")
class StockAdjustments(MethodView):
    @stock.arguments(IdempotencyHeader, location="headers")
    @stock.arguments(AdjustmentRequest)
    @stock.response(201, StockLevelOut, headers=REPLAYED_HEADER)
    @stock.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    @stock.alt_response(422, schema=ERROR, description="The count would fall below zero or pass the limit")
    def post(self, headers, body):
        """Correct a count (found, lost, damaged), with the reason; the ledger keeps both."""
        if body["change"] == 0:
            abort(422, errors={"change": ["An adjustment changes the count: must not be 0."]})
        command = AdjustStock(site=body["site"], part_no=body["part_no"], change=body["change"],
                              reason=body["reason"], request=idempotent_request(headers["idempotency_key"]))
        try:
            level = handlers.adjust_stock(command, _inventory().uow_factory(),
                                          answer=lambda level: Answer(201, StockLevelOut().dump(level)))
        except (InsufficientStock, StockLimitExceeded) as exc:
            abort(422, errors={"change": [str(exc)]})
        if isinstance(level, Replayed):
            return replay(level)
        return level, 201, {"Idempotent-Replayed": "false"}


@stock.route("/ledger")
class StockLedger(MethodView):
    @stock.arguments(StockQuery, location="query")
    @stock.response(200, LedgerOut)
    def get(self, query):
        """Every movement of a part at a site, oldest first: their changes add up to on hand and reserved."""
        with _inventory().reader() as uow:
            level = uow.stock.get(query["site"], query["part_no"]) or StockLevel(query["site"], query["part_no"])
            movements = uow.stock.ledger(query["site"], query["part_no"])
        return {**StockLevelOut().dump(level), "movements": movements}


@catalogue.route("/<part_no>")
class CatalogueEntry(MethodView):
    @catalogue.arguments(PartPath, location="path")
    @catalogue.response(200, PartOut)
    @catalogue.alt_response(404, schema=ERROR, description="No such part in the catalogue")
    def get(self, _path, part_no):
        """A catalogue entry with its moving-average unit cost."""
        with _inventory().reader() as uow:
            part = uow.catalogue.get(part_no)
        if part is None:
            abort(404, errors={"part_no": [f"No part {part_no} in the catalogue."]})
        return part

    @catalogue.arguments(PartPath, location="path")
    @catalogue.arguments(PartIn)
    @catalogue.response(200, PartOut)
    @catalogue.alt_response(201, schema=PartOut, description="The part was new to the catalogue")
    @catalogue.alt_response(422, schema=ERROR, description="A part cannot supersede itself")
    def put(self, _path, body, part_no):
        """Create or describe a catalogue entry; a changed list price is published to billing."""
        if body["superseded_by"] == part_no:
            abort(422, errors={"superseded_by": ["A part cannot supersede itself."]})
        command = PutPart(part_no=part_no, **body)
        part, created = handlers.put_part(command, _inventory().uow_factory(), _inventory().events)
        return part, 201 if created else 200
