"""PNG charts for the quality engineer, drawn with matplotlib's Agg backend (no display needed):
failure Pareto, Weibull probability plot with its fit line, Crow-AMSAA log-log plot."""
from __future__ import annotations

import io
import math

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from aftersales_shared.boundary import ERROR, Blueprint, Choice, Text

from ..domain.field_rates import median_rank_positions
from ..domain.growth import BadGrowthData
from ..domain.weibull import NotEnoughFailures
from ..service_layer import queries

charts = Blueprint("charts", __name__, url_prefix="/api/v1/charts", description="Reliability charts (PNG)")
PNG = {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


def _figure():
    # Imported here: nothing heavy is loaded, and no backend chosen, before a chart is asked for.
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    return Figure(figsize=(7, 4.5), dpi=80)


def _png(figure) -> Response:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return Response(buffer.getvalue(), mimetype="image/png")


def pareto_png(rows, title: str) -> Response:
    figure = _figure()
    axes = figure.add_subplot()
    shown = rows[:20]
    keys = [row.key for row in shown]
    axes.bar(range(len(shown)), [row.failures for row in shown], color="tab:blue")
    axes.set_xticks(range(len(shown)), keys, rotation=45, ha="right")
    axes.set_ylabel("failures")
    line = axes.twinx()
    line.plot(range(len(shown)), [row.cumulative_percent for row in shown], color="tab:red", marker="o")
    line.set_ylim(0, 105)
    line.set_ylabel("cumulative %")
    axes.set_title(title)
    return _png(figure)


def weibull_png(table, fit, title: str) -> Response:
    figure = _figure()
    axes = figure.add_subplot()
    points = median_rank_positions(table.failures, table.suspensions)
    xs = [math.log(max(age, 0.5)) for age, _ in points]
    ys = [math.log(-math.log1p(-f)) for _, f in points]
    axes.scatter(xs, ys, s=12, color="tab:blue", label="failures (median ranks)")
    low, high = min(xs + [math.log(fit.eta)]) - 0.5, max(xs + [math.log(fit.eta)]) + 0.5
    axes.plot([low, high], [fit.beta * (low - math.log(fit.eta)), fit.beta * (high - math.log(fit.eta))],
              color="tab:red", label=f"MLE beta={fit.beta:.3g}, eta={fit.eta:.4g}")
    axes.set_xlabel("ln(age)")
    axes.set_ylabel("ln(-ln(1 - F))")
    axes.grid(True, alpha=0.3)
    axes.legend()
    axes.set_title(title)
    return _png(figure)


def growth_png(fit, times: list[float], title: str) -> Response:
    figure = _figure()
    axes = figure.add_subplot()
    ordered = sorted(times)
    axes.loglog(ordered, range(1, len(ordered) + 1), "o", markersize=4, label="cumulative failures")
    grid = [ordered[0] * (fit.end_time / ordered[0]) ** (i / 50) for i in range(51)]
    axes.loglog(grid, [fit.expected_failures(t) for t in grid], color="tab:red",
                label=f"Crow-AMSAA beta={fit.beta:.3g}, lambda={fit.lam:.3g}")
    axes.set_xlabel("time")
    axes.set_ylabel("cumulative failures")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title(title)
    return _png(figure)


class ParetoChartQuery(Schema):
    by = Choice(("part", "failure_mode"), required=True)
    model = Text(100, min_length=1, load_default=None)


class ModelChartQuery(Schema):
    model = Text(100, min_length=1, required=True)
    part_no = Text(64, min_length=1, load_default=None)
    as_of = fields.Date(load_default=None)


def _fracas():
    return current_app.extensions["fracas"]


@charts.route("/pareto.png")
class ParetoChart(MethodView):
    @charts.arguments(ParetoChartQuery, location="query")
    @charts.doc(responses={"200": {"description": "Pareto bars with the cumulative % line", **PNG}})
    def get(self, query):
        """Failure Pareto by part or failure mode."""
        app = _fracas()
        rows = queries.failure_pareto(query["by"], query["model"], None, None, app.uow_factory(), app.fits)
        return pareto_png(rows, f"Failures by {query['by']}" + (f" of {query['model']}" if query["model"] else ""))


@charts.route("/weibull.png")
class WeibullChart(MethodView):
    @charts.arguments(ModelChartQuery, location="query")
    @charts.doc(responses={"200": {"description": "Weibull probability plot with the MLE line", **PNG}})
    @charts.alt_response(422, schema=ERROR, description="Not enough failures for a fit")
    def get(self, query):
        """Weibull probability plot of a model (or one part of it) with suspensions."""
        app = _fracas()
        as_of = query["as_of"] or app.clock().date()
        try:
            table, report = queries.weibull_with_table(query["model"], as_of, app.uow_factory(), query["part_no"])
        except NotEnoughFailures as exc:
            abort(422, errors={"model": [str(exc)]})
        return weibull_png(table, report.fit, f"Weibull: {report.model} as of {as_of.isoformat()}")


@charts.route("/growth.png")
class GrowthChart(MethodView):
    @charts.arguments(ModelChartQuery, location="query")
    @charts.doc(responses={"200": {"description": "Crow-AMSAA log-log plot", **PNG}})
    @charts.alt_response(422, schema=ERROR, description="No failures to analyse")
    def get(self, query):
        """Crow-AMSAA cumulative failures of a model's fleet over calendar days, log-log."""
        app = _fracas()
        as_of = query["as_of"] or app.clock().date()
        try:
            fit, times = queries.fleet_growth(query["model"], as_of, app.uow_factory())
        except BadGrowthData as exc:
            abort(422, errors={exc.field: [str(exc)]})
        return growth_png(fit, times, f"Reliability growth: {query['model']} fleet (days since first sale)")
