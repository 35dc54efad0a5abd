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
from ..domain import growth, mtbf
from ..domain.weibull import NotEnoughFailures, fisher_bounds, fit_weibull
from ..service_layer import handlers, queries
from ..service_layer.commands import RegisterInstalledBase
from .analysis_schemas import GrowthDataIn, GrowthOut, MtbfIn, MtbfOut, WeibullDataIn, WeibullDataOut
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
            report = queries.weibull_for_model(query["model"], as_of, app.uow_factory(), query["part_no"], app.fits)
        except NotEnoughFailures as exc:
            abort(422, errors={"model": [str(exc)]})
        fit = report.fit
        own = _weibull_body(fit, query["confidence"], query["sides"])
        return {
            "part_no": query["part_no"], "mean_life_days": fit.mean_life, "bounds": own["bounds"],
            "model": query["model"], "as_of": report.as_of, "beta": fit.beta, "eta": fit.eta,
            "failures": fit.failures, "suspensions": fit.suspensions, "log_likelihood": fit.log_likelihood,
            "b10_days": fit.b10, "skipped": report.skipped.total,
            "skipped_reasons": {
                "no_purchase_date": report.skipped.no_purchase_date,
                "failed_before_purchase": report.skipped.failed_before_purchase,
            },
        }

    @reliability.arguments(WeibullDataIn)
    @reliability.response(200, WeibullDataOut)
    def post(self, body):
        """Weibull (maximum likelihood) of the analyst's own ages at failure and suspension ages."""
        failures = body["failures"]
        # A unit suspended at age 0 has survived nothing: it carries no information (S(0) = 1).
        suspensions = [(t, c) for t, c in body["suspensions"] if t > 0]
        if not any(count for _, count in failures):
            abort(400, errors={"failures": ["There are no failures: a Weibull fit needs at least two."]})
        if any(time == 0 and count for time, count in failures):
            abort(400, errors={"failures": ["A failure age must be positive."]})
        try:
            fit = fit_weibull([t for t, _ in failures], [t for t, _ in suspensions],
                              [c for _, c in failures], [c for _, c in suspensions])
        except NotEnoughFailures as exc:
            abort(400, errors={"failures": [f"{str(exc)[0].upper()}{str(exc)[1:]}."]})
        return _weibull_body(fit, body["confidence"], body["sides"])


def _weibull_body(fit, confidence: float, sides: int) -> dict:
    bounds = fisher_bounds(fit, confidence, sides)
    return {
        "beta": fit.beta, "eta": fit.eta, "log_likelihood": fit.log_likelihood, "b10": fit.b10,
        "mean_life": fit.mean_life, "failures": fit.failures, "suspensions": fit.suspensions,
        "bounds": None if bounds is None else {
            "confidence": bounds.confidence, "sides": bounds.sides,
            **{name: vars(getattr(bounds, name)) for name in ("beta", "eta", "b10")},
        },
    }


@reliability.route("/growth")
class Growth(MethodView):
    @reliability.arguments(GrowthDataIn)
    @reliability.response(200, GrowthOut)
    def post(self, body):
        """Crow-AMSAA (power-law NHPP) by maximum likelihood: individual failure times (failure- or
        time-terminated) or grouped intervals; MTBFs are at the end of the test."""
        try:
            if body["intervals"] is not None:
                intervals = body["intervals"]
                fit = growth.fit_grouped([i["end"] for i in intervals], [i["failures"] for i in intervals])
            else:
                items = body["failure_times"]
                fit = growth.fit_failure_times([t for t, _ in items], [c for _, c in items], body["end_time"])
        except growth.BadGrowthData as exc:
            abort(400, errors={exc.field: [str(exc)]})
        return _growth_body(fit)


def _growth_body(fit: growth.GrowthFit) -> dict:
    return {"beta": fit.beta, "lam": fit.lam, "failures": fit.failures, "end_time": fit.end_time,
            "terminated": fit.terminated, "cumulative_mtbf": fit.cumulative_mtbf,
            "instantaneous_mtbf": fit.instantaneous_mtbf}


@reliability.route("/mtbf")
class Mtbf(MethodView):
    @reliability.arguments(MtbfIn)
    @reliability.response(200, MtbfOut)
    def post(self, body):
        """MTBF of a constant-failure-rate test with chi-square confidence bounds."""
        estimate = mtbf.mtbf_bounds(body["total_time"], body["failures"], body["confidence"], body["sides"],
                                    body["test"])
        return vars(estimate)


@failures.route("")
class Failures(MethodView):
    @failures.arguments(FailuresQuery, location="query")
    @failures.response(200, FailureRecordOut(many=True))
    def get(self, query):
        """Failure reports of a ticket, one per work order, with their cost once billing posted it."""
        return queries.failures_of_ticket(query["ticket_id"], _fracas().uow_factory())
