"""``create_app()`` is what gunicorn calls; nothing is built before it is called."""
from __future__ import annotations

from aftersales_shared.web import create_service_app

from ..bootstrap import Intake, bootstrap
from .desk_views import desk
from .kb_views import kb
from .partner_views import partner_api
from .views import tickets


def create_app(intake: Intake | None = None):
    return create_service_app(intake or bootstrap(), title="Intake", blueprints=[tickets, desk, kb, partner_api])
