"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.web import create_service_app

from ..bootstrap import Dispatch, bootstrap
from .views import engineers, sites, work_orders


def create_app(dispatch: Dispatch | None = None):
    return create_service_app(dispatch or bootstrap(), title="Dispatch", blueprints=[engineers, work_orders, sites])
