"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.health import broker_check, database_check
from aftersales_shared.metrics import outbox_metrics
from aftersales_shared.web import create_base_app

from ..bootstrap import Inventory, bootstrap
from .views import stock


def create_app(inventory: Inventory | None = None):
    inventory = inventory or bootstrap()
    runtime = inventory.runtime
    app = create_base_app(
        "inventory",
        title="Inventory",
        blueprints=[stock],
        readiness_checks={
            "database": database_check(runtime.engine),
            "broker": broker_check(runtime.messaging, runtime.topology.queue_name),
        },
        extra_metrics=outbox_metrics("inventory", runtime.engine, runtime.outbox),
    )
    app.extensions["inventory"] = inventory
    return app
