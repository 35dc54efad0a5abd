"""Field analytics for the quality engineer: service quality rates, Paretos, batches, failure rates."""
from __future__ import annotations

from datetime import datetime, time, timezone

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import ERROR, Blueprint, Choice, Text

from ..domain.growth import BadGrowthData
from ..domain.service_quality import DIMENSIONS
from ..service_layer import queries
from .analysis_schemas import GrowthOut
from .views import _growth_body

analytics = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics",
                      description="Field failure and service quality analytics")


def _fracas():
    return current_app.extensions["fracas"]


def end_of(day) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.utc)


class QualityQuery(Schema):
    by = Choice(DIMENSIONS, required=True)
    as_of = fields.Date(load_default=None, metadata={"description": "Defaults to today (UTC)."})


class QualityRowOut(Schema):
    key = fields.String()
    repairs = fields.Integer()
    doa = fields.Integer(metadata={"description": "Repairs of units that failed at first opening."})
    doa_rate = fields.Float(allow_none=True)
    followed_up = fields.Integer(metadata={"description": "Repairs whose whole 7-day follow-up window has passed."})
    repeated = fields.Integer()
    repeat_rate = fields.Float(allow_none=True, metadata={"description": "Over followed-up repairs only."})
    first_time_fixes = fields.Integer()
    first_time_fix_rate = fields.Float(allow_none=True, metadata={"description": "Over followed-up repairs only."})


@analytics.route("/service-quality")
class ServiceQuality(MethodView):
    @analytics.arguments(QualityQuery, location="query")
    @analytics.response(200, QualityRowOut(many=True))
    def get(self, query):
        """DOA, repeat-repair and first-time-fix rates per model, category, site, engineer or month."""
        app = _fracas()
        as_of = end_of(query["as_of"]) if query["as_of"] else app.clock()
        return queries.service_quality(query["by"], as_of, app.uow_factory())


class ParetoQuery(Schema):
    by = Choice(("part", "failure_mode"), required=True)
    model = Text(100, min_length=1, load_default=None)
    since = fields.Date(load_default=None, metadata={"description": "Failures on or after this day."})
    until = fields.Date(load_default=None, metadata={"description": "Failures on or before this day."})


class ParetoRowOut(Schema):
    key = fields.String()
    failures = fields.Integer()
    percent = fields.Float()
    cumulative_percent = fields.Float()


class ModelQuery(Schema):
    model = Text(100, min_length=1, required=True)
    as_of = fields.Date(load_default=None, metadata={"description": "Defaults to today (UTC)."})


class BatchRowOut(Schema):
    batch = fields.String()
    units = fields.Integer(metadata={"description": "Units of the batch registered in the installed base."})
    failures = fields.Integer(metadata={"description": "Chargeable failures of units of the batch."})
    failures_per_unit = fields.Float(allow_none=True)


class FieldRateQuery(ModelQuery):
    confidence = fields.Float(load_default=0.90, validate=validate.Range(0.5, 0.9999))


class FieldRateOut(Schema):
    model = fields.String()
    as_of = fields.Date()
    installed_units = fields.Integer()
    failures = fields.Integer()
    failures_per_unit = fields.Float(allow_none=True)
    unit_years = fields.Float()
    failures_per_unit_year = fields.Float(allow_none=True)
    mtbf_unit_years = fields.Float(allow_none=True)
    mtbf_lower = fields.Float(allow_none=True)
    mtbf_upper = fields.Float(allow_none=True)
    confidence = fields.Float()


class FleetGrowthOut(GrowthOut):
    model = fields.String()
    as_of = fields.Date()


@analytics.route("/pareto")
class Pareto(MethodView):
    @analytics.arguments(ParetoQuery, location="query")
    @analytics.response(200, ParetoRowOut(many=True))
    def get(self, query):
        """Relevant failures by part or failure mode, largest first, with cumulative percentage."""
        app = _fracas()
        return queries.failure_pareto(query["by"], query["model"], query["since"], query["until"],
                                      app.uow_factory(), app.fits)


@analytics.route("/batches")
class Batches(MethodView):
    @analytics.arguments(ModelQuery, location="query")
    @analytics.response(200, BatchRowOut(many=True))
    def get(self, query):
        """Chargeable failures per production batch of a model, per unit registered."""
        return queries.batch_rates(query["model"], _fracas().uow_factory())


@analytics.route("/field-failure-rate")
class FieldFailureRate(MethodView):
    @analytics.arguments(FieldRateQuery, location="query")
    @analytics.response(200, FieldRateOut)
    def get(self, query):
        """Failures per installed unit and per unit-year in service; MTBF with chi-square bounds."""
        app = _fracas()
        as_of = query["as_of"] or app.clock().date()
        return queries.field_failure_rate(query["model"], as_of, query["confidence"], app.uow_factory())


@analytics.route("/growth")
class FleetGrowth(MethodView):
    @analytics.arguments(ModelQuery, location="query")
    @analytics.response(200, FleetGrowthOut)
    @analytics.alt_response(422, schema=ERROR, description="No failures to analyse")
    def get(self, query):
        """Crow-AMSAA of a model's fleet over calendar days since its first sale (time-terminated today)."""
        app = _fracas()
        as_of = query["as_of"] or app.clock().date()
        try:
            fit, _ = queries.fleet_growth(query["model"], as_of, app.uow_factory())
        except BadGrowthData as exc:
            abort(422, errors={exc.field: [str(exc)]})
        return {**_growth_body(fit), "model": query["model"], "as_of": as_of}
