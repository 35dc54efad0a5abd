"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.health import broker_check, database_check
from aftersales_shared.metrics import outbox_metrics
from aftersales_shared.web import create_base_app

from ..bootstrap import Billing, bootstrap
from .views import fee_schedule, settlements


def create_app(billing: Billing | None = None):
    billing = billing or bootstrap()
    runtime = billing.runtime
    app = create_base_app(
        "billing",
        title="Billing",
        blueprints=[settlements, fee_schedule],
        readiness_checks={
            "database": database_check(runtime.engine),
            "broker": broker_check(runtime.messaging, runtime.topology.queue_name),
        },
        extra_metrics=outbox_metrics("billing", runtime.engine, runtime.outbox),
    )
    app.extensions["billing"] = billing
    return app
