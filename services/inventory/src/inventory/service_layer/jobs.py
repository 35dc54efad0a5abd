"""Inventory's periodic jobs: plain functions of the current time, safe to run again (see periodic.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from aftersales_shared.outgoing import EventWriter
from aftersales_shared.periodic import PeriodicJob

from .custody import fire_follow_ups
from .handlers import publish_unpublished_parts
from .tickets import fulfil_backorders
from .unit_of_work import InventoryUnitOfWork


def fulfil_all_backorders(uow_factory: Callable[[], InventoryUnitOfWork], events: EventWriter,
                          now: datetime) -> int:
    """A safety net behind the receipt that fulfils backorders at once: should that process have stopped
    between its commit and the fulfilment, the tickets are held here instead."""
    with uow_factory() as uow:
        sites = uow.reservations.sites_with_backorders()
    return sum(fulfil_backorders(site, None, uow_factory, events, clock=lambda: now) for site in sites)


def periodic_jobs(uow_factory: Callable[[], InventoryUnitOfWork], events: EventWriter) -> tuple[PeriodicJob, ...]:
    return (
        PeriodicJob("fulfil_backorders", 60.0, lambda now: fulfil_all_backorders(uow_factory, events, now)),
        PeriodicJob("rma_follow_ups", 300.0, lambda now: fire_follow_ups(uow_factory, now)),
        PeriodicJob("publish_unpublished_parts", 300.0,
                    lambda now: publish_unpublished_parts(uow_factory(), events, now)),
    )
