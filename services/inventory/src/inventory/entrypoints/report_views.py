"""Reports over HTTP: slow stock per site, monthly use and a forecast per part and site."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask.views import MethodView

from aftersales_shared.boundary import Blueprint
from aftersales_shared.timeutil import utcnow

from ..service_layer import reports as service
from .schemas import SlowStockOut, SlowStockQuery, UsageOut, UsageQuery

reports = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="What the parts clerk reads")


def _inventory():
    return current_app.extensions["inventory"]


@reports.route("/slow-stock")
class SlowStockReport(MethodView):
    @reports.arguments(SlowStockQuery, location="query")
    @reports.response(200, SlowStockOut(many=True))
    def get(self, query):
        """Dead stock (nothing issued in ``days`` days) and low-moving stock (issued, but less than is on
        hand) at a site; dead first, then by value."""
        return service.slow_stock_at(query["site"], query["days"], utcnow(), _inventory().reader())


@reports.route("/usage")
class UsageReport(MethodView):
    @reports.arguments(UsageQuery, location="query")
    @reports.response(200, UsageOut)
    def get(self, query):
        """Parts used in repairs per month (the last ``months`` up to ``until``, default this month) and
        next month's forecast: the average of the last three months."""
        until = None
        if query["until"]:
            year, month = (int(part) for part in query["until"].split("-"))
            until = date(year, month, 1)
        found = service.monthly_usage(query["site"], query["part_no"], query["months"], until, utcnow(),
                                      _inventory().reader())
        return {"site": found.site, "part_no": found.part_no, "forecast_next_month": float(found.forecast_next_month),
                "months": [{"month": month, "used": used} for month, used in found.months]}
