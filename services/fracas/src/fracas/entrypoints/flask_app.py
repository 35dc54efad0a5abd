"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.web import create_service_app

from ..bootstrap import Fracas, bootstrap
from .analytics_views import analytics
from .charts import charts
from .problem_views import problems
from .views import failures, installed_base, reliability


def create_app(fracas: Fracas | None = None):
    return create_service_app(fracas or bootstrap(), title="FRACAS", blueprints=[installed_base, reliability, failures, analytics, problems, charts])
