"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.web import create_service_app

from ..bootstrap import Inventory, bootstrap
from .custody_views import faulty_parts
from .network_views import sites, transfers
from .report_views import reports
from .views import catalogue, stock


def create_app(inventory: Inventory | None = None):
    return create_service_app(inventory or bootstrap(), title="Inventory",
                              blueprints=[stock, catalogue, sites, transfers, faulty_parts, reports])
