"""Service points (region, deposit) and transfers between them over HTTP."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.sites import DepositExceeded
from ..domain.stock import InsufficientStock
from ..service_layer import handlers
from ..service_layer.commands import PutSite, ShipTransfer
from .schemas import MonthQuery, ReconciliationOut, SiteIn, SiteOut, SitePath, TransferOut, TransferPath, TransferQuery, TransferRequest

sites = Blueprint("sites", __name__, url_prefix="/api/v1/sites",
                  description="Service points: their region and the deposit their stock is held against")
transfers = Blueprint("transfers", __name__, url_prefix="/api/v1/transfers",
                      description="Parts travelling between service points")


def _inventory():
    return current_app.extensions["inventory"]


def _site_view(uow, name: str) -> dict | None:
    site = uow.sites.get(name)
    if site is None:
        return None
    value, inbound = uow.stock.value_at(name), uow.transfers.inbound_value(name)
    headroom = None if site.deposit is None else site.deposit - value - inbound
    return {"site": name, "region": site.region, "deposit": site.deposit, "stock_value": value,
            "inbound_value": inbound, "headroom": headroom}


@sites.route("/<site>")
class ServicePoint(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.response(200, SiteOut)
    @sites.alt_response(404, schema=ERROR, description="No such service point")
    def get(self, _path, site):
        """A service point with the value of the stock it holds and what its deposit still allows."""
        with _inventory().reader() as uow:
            found = _site_view(uow, site)
        if found is None:
            abort(404, errors={"site": [f"No service point {site}."]})
        return found

    @sites.arguments(SitePath, location="path")
    @sites.arguments(SiteIn)
    @sites.response(200, SiteOut)
    @sites.alt_response(201, schema=SiteOut, description="The service point was new")
    def put(self, _path, body, site):
        """Set a service point's region and deposit (null deposit: no limit)."""
        _, created = handlers.put_site(PutSite(site, body["region"], body["deposit"]), _inventory().uow_factory())
        with _inventory().reader() as uow:
            return _site_view(uow, site), 201 if created else 200


@sites.route("/<site>/reconciliation")
class DepositReconciliation(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.arguments(MonthQuery, location="query")
    @sites.response(200, ReconciliationOut)
    @sites.alt_response(404, schema=ERROR, description="No such service point")
    def get(self, _path, query, site):
        """The month's deposit reconciliation: opening stock value, what the month moved by kind, closing
        value, and how it stands against the deposit."""
        year, month = (int(part) for part in query["month"].split("-"))
        found = handlers.reconcile_deposit(site, date(year, month, 1), _inventory().reader())
        if found is None:
            abort(404, errors={"site": [f"No service point {site}."]})
        return found


@transfers.route("")
class Transfers(MethodView):
    @transfers.arguments(TransferQuery, location="query")
    @transfers.response(200, TransferOut(many=True))
    def get(self, query):
        """Transfers from or to a site, oldest first; ``status=in_transit`` for what is on its way."""
        with _inventory().reader() as uow:
            return uow.transfers.listed(query["site"], query["status"])

    @transfers.arguments(IdempotencyHeader, location="headers")
    @transfers.arguments(TransferRequest)
    @transfers.response(201, TransferOut, headers=REPLAYED_HEADER)
    @transfers.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    @transfers.alt_response(422, schema=ERROR, description="Not that many free at the source, or the "
                                                           "destination's deposit would be passed")
    def post(self, headers, body):
        """Send parts nobody at the source was promised to another site; in transit until received."""
        if body["from_site"] == body["to_site"]:
            abort(422, errors={"to_site": ["A transfer goes to another site."]})
        command = ShipTransfer(body["part_no"], body["qty"], body["from_site"], body["to_site"],
                               request=idempotent_request(headers["idempotency_key"]))
        try:
            transfer = handlers.ship_transfer(command, _inventory().uow_factory(),
                                              answer=lambda t: Answer(201, TransferOut().dump(t)))
        except InsufficientStock as exc:
            abort(422, errors={"qty": [str(exc)]})
        except DepositExceeded as exc:
            abort(422, errors={"to_site": [str(exc)]})
        if isinstance(transfer, Replayed):
            return replay(transfer)
        return transfer, 201, {"Idempotent-Replayed": "false"}


@transfers.route("/<transfer_id>/receive")
class TransferArrival(MethodView):
    @transfers.arguments(TransferPath, location="path")
    @transfers.response(200, TransferOut)
    @transfers.alt_response(404, schema=ERROR, description="No such transfer")
    def post(self, _path, transfer_id):
        """The parts arrived: on the destination's shelf, held for the ticket they travelled for; backorders
        there are fulfilled. Receiving twice changes nothing."""
        inventory = _inventory()
        transfer = handlers.receive_transfer(transfer_id, inventory.uow_factory(), inventory.events)
        if transfer is None:
            abort(404, errors={"transfer_id": [f"No transfer {transfer_id}."]})
        handlers.fulfil_backorders(transfer.to_site, [transfer.part_no], inventory.uow_factory, inventory.events)
        return transfer
