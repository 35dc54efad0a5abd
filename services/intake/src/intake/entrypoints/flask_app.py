"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.health import broker_check, database_check
from aftersales_shared.metrics import outbox_metrics
from aftersales_shared.web import create_base_app

from ..bootstrap import Intake, bootstrap
from .views import tickets


def create_app(intake: Intake | None = None):
    intake = intake or bootstrap()
    runtime = intake.runtime
    app = create_base_app(
        "intake",
        title="Intake",
        blueprints=[tickets],
        readiness_checks={
            "database": database_check(runtime.engine),
            "broker": broker_check(runtime.messaging, runtime.topology.queue_name),
        },
        extra_metrics=outbox_metrics("intake", runtime.engine, runtime.outbox),
    )
    app.extensions["intake"] = intake
    return app
