"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.runtime import ServiceRuntime

from .adapters.tables import metadata, outbox
from .config import Settings
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer.handlers import event_handlers
from .service_layer.jobs import periodic_jobs
from .service_layer.unit_of_work import InventoryUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Inventory:
    runtime: ServiceRuntime
    uow_factory: Callable[[], InventoryUnitOfWork]
    # For queries: on SQLite it does not take the write lock.
    reader: Callable[[], InventoryUnitOfWork]
    events: EventWriter


def event_writer() -> EventWriter:
    """Inventory's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("inventory", OUTGOING)


def bootstrap(settings: Settings | None = None) -> Inventory:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    uow_factory = lambda: InventoryUnitOfWork(engine)  # noqa: E731
    reader = lambda: InventoryUnitOfWork(engine, read_only=True)  # noqa: E731
    events = event_writer()
    runtime = ServiceRuntime(
        service="inventory", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(events), INCOMING_SCHEMAS),
        periodic_jobs=periodic_jobs(uow_factory, events),
    )
    return Inventory(runtime, uow_factory, reader, events)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
