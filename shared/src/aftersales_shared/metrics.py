"""Prometheus exposition, multi-process aware (gunicorn workers), plus per-scrape gauges from the database."""
from __future__ import annotations

import os
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, Table, func, select

from .db import reader
from .timeutil import utcnow


def metrics_response(extra: Callable[[], bytes] | None = None) -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if extra is not None:
        body += extra()
    return body, CONTENT_TYPE_LATEST


class OutboxLagCollector:
    """Relay lag as seen from the database, so it is true whichever process scrapes it."""

    def __init__(self, service: str, engine: Engine, outbox: Table):
        self.service = service
        self.engine = reader(engine)
        self.outbox = outbox

    def collect(self):
        with self.engine.connect() as connection:
            pending, oldest = connection.execute(
                select(func.count(), func.min(self.outbox.c.created_at)).where(self.outbox.c.sent_at.is_(None))
            ).one()
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        pending_gauge = GaugeMetricFamily("outbox_pending_messages", "Outbox rows not yet published", labels=["service"])
        pending_gauge.add_metric([self.service], pending)
        age_gauge = GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row", labels=["service"]
        )
        age_gauge.add_metric([self.service], max(age, 0.0))
        yield pending_gauge
        yield age_gauge


def outbox_metrics(service: str, engine: Engine, outbox: Table, *more_collectors) -> Callable[[], bytes]:
    """Gauges read at scrape time, so they are true whichever process is scraped."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxLagCollector(service, engine, outbox))
    for collector in more_collectors:
        registry.register(collector)
    return lambda: generate_latest(registry)
