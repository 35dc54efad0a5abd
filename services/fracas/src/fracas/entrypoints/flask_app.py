"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.health import broker_check, database_check
from aftersales_shared.metrics import outbox_metrics
from aftersales_shared.web import create_base_app

from ..bootstrap import Fracas, bootstrap
from .views import failures, installed_base, reliability


def create_app(fracas: Fracas | None = None):
    fracas = fracas or bootstrap()
    runtime = fracas.runtime
    app = create_base_app(
        "fracas",
        title="FRACAS",
        blueprints=[installed_base, reliability, failures],
        readiness_checks={
            "database": database_check(runtime.engine),
            "broker": broker_check(runtime.messaging, runtime.topology.queue_name),
        },
        extra_metrics=outbox_metrics("fracas", runtime.engine, runtime.outbox),
    )
    app.extensions["fracas"] = fracas
    return app
