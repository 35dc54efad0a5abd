"""Field analytics for the quality engineer: service quality rates, Paretos, batches, failure rates."""
from __future__ import annotations

from datetime import datetime, time, timezone

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from aftersales_shared.boundary import Blueprint, Choice

from ..domain.service_quality import DIMENSIONS
from ..service_layer import queries

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
