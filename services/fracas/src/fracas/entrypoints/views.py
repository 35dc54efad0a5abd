"""FRACAS's HTTP API."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.installed_base import InstalledUnit
from ..domain.weibull import NotEnoughFailures
from ..service_layer import handlers, queries
from ..service_layer.commands import RegisterInstalledBase
from .schemas import (
    MAX_UNITS_PER_REQUEST, FailureRecordOut, FailuresQuery, InstalledUnitIn, RegisteredOut, WeibullOut,
    WeibullQuery,
)

installed_base = Blueprint(
    "installed_base", __name__, url_prefix="/api/v1/installed-base", description="Sold or installed units"
)
reliability = Blueprint(
    "reliability", __name__, url_prefix="/api/v1/reliability", description="Field reliability of the installed base"
)
failures = Blueprint("failures", __name__, url_prefix="/api/v1/failures", description="Failure reports")


def _fracas():
    return current_app.extensions["fracas"]


@installed_base.route("")
class InstalledBase(MethodView):
    @installed_base.arguments(IdempotencyHeader, location="headers")
    @installed_base.arguments(InstalledUnitIn(many=True))
    # The generated description of a list body has no bounds; this one says how many units one request takes.
    @installed_base.doc(requestBody={"content": {"application/json": {"schema": {
        "type": "array", "minItems": 1, "maxItems": MAX_UNITS_PER_REQUEST, "items": InstalledUnitIn}}}})
    @installed_base.response(201, RegisteredOut, headers=REPLAYED_HEADER)
    @installed_base.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    def post(self, headers, units):
        """Register units (a serial registered before takes the new details); all or nothing."""
        app = _fracas()
        command = RegisterInstalledBase(tuple(InstalledUnit(**unit) for unit in units),
                                        request=idempotent_request(headers["idempotency_key"]))
        registered = handlers.register_installed_base(
            command, app.uow_factory(), app.clock(),
            answer=lambda count: Answer(201, RegisteredOut().dump({"registered": count})))
        if isinstance(registered, Replayed):
            return replay(registered)
        return {"registered": registered}, 201, {"Idempotent-Replayed": "false"}


@reliability.route("/weibull")
class Weibull(MethodView):
    @reliability.arguments(WeibullQuery, location="query")
    @reliability.response(200, WeibullOut)
    @reliability.alt_response(422, schema=ERROR,
                              description="Fewer than two failures, or nothing to tell the shape from")
    def get(self, query):
        """Two-parameter Weibull (maximum likelihood) of days to first failure; unfailed units are suspensions."""
        app = _fracas()
        as_of = query["as_of"] or app.clock().date()
        try:
            report = queries.weibull_for_model(query["model"], as_of, app.uow_factory())
        except NotEnoughFailures as exc:
            abort(422, errors={"model": [str(exc)]})
        fit = report.fit
        return {
            "model": report.model, "as_of": report.as_of, "beta": fit.beta, "eta": fit.eta,
            "failures": fit.failures, "suspensions": fit.suspensions, "log_likelihood": fit.log_likelihood,
            "b10_days": fit.b10, "skipped": report.skipped.total,
            "skipped_reasons": {
                "no_purchase_date": report.skipped.no_purchase_date,
                "failed_before_purchase": report.skipped.failed_before_purchase,
            },
        }


@failures.route("")
class Failures(MethodView):
    @failures.arguments(FailuresQuery, location="query")
    @failures.response(200, FailureRecordOut(many=True))
    def get(self, query):
        """Failure reports of a ticket, one per work order, with their cost once billing posted it."""
        return queries.failures_of_ticket(query["ticket_id"], _fracas().uow_factory())
