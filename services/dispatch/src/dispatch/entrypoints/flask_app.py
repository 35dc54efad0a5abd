"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.health import broker_check, database_check
from aftersales_shared.metrics import outbox_metrics
from aftersales_shared.web import create_base_app

from ..bootstrap import Dispatch, bootstrap
from .views import engineers, work_orders


def create_app(dispatch: Dispatch | None = None):
    dispatch = dispatch or bootstrap()
    runtime = dispatch.runtime
    app = create_base_app(
        "dispatch",
        title="Dispatch",
        blueprints=[engineers, work_orders],
        readiness_checks={
            "database": database_check(runtime.engine),
            "broker": broker_check(runtime.messaging, runtime.topology.queue_name),
        },
        extra_metrics=outbox_metrics("dispatch", runtime.engine, runtime.outbox),
    )
    app.extensions["dispatch"] = dispatch
    return app
