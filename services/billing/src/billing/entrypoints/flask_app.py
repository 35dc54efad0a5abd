"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from aftersales_shared.db import reader
from aftersales_shared.timeutil import utcnow
from aftersales_shared.web import create_service_app

from ..adapters.tables import awaiting_settlements
from ..bootstrap import Billing, bootstrap
from .views import BLUEPRINTS


class AwaitingPriceCollector:
    """Settlements held for a price, read from the database at scrape time: true whichever process is asked."""

    def __init__(self, engine):
        self.engine = reader(engine)

    def collect(self):
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(awaiting_settlements.c.since))).one()
        gauge = GaugeMetricFamily("billing_settlements_awaiting_price",
                                  "Completed jobs held until inventory publishes a price they need")
        gauge.add_metric([], count)
        age = GaugeMetricFamily("billing_settlements_awaiting_price_oldest_seconds",
                                "How long the longest-held job has waited for a price")
        age.add_metric([], max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
        yield gauge
        yield age


def create_app(billing: Billing | None = None):
    billing = billing or bootstrap()
    app = create_service_app(billing, title="Billing", blueprints=BLUEPRINTS)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AwaitingPriceCollector(billing.runtime.engine))
    shared_metrics = app.view_functions["metrics"]

    def metrics():
        # The shared /metrics plus billing's own gauge, in the same exposition.
        response = shared_metrics()
        response.set_data(response.get_data() + generate_latest(registry))
        return response

    app.view_functions["metrics"] = metrics
    return app
