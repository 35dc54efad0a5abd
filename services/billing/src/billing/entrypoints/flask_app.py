"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.web import create_service_app

from ..bootstrap import Billing, bootstrap
from .views import fee_schedule, settlements


def create_app(billing: Billing | None = None):
    return create_service_app(billing or bootstrap(), title="Billing", blueprints=[settlements, fee_schedule])
