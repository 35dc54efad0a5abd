"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.timeutil import utcnow

from .adapters.tables import metadata, outbox
from .config import Settings
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer.handlers import event_handlers
from .service_layer.unit_of_work import DispatchUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Dispatch:
    runtime: ServiceRuntime
    uow_factory: Callable[[], DispatchUnitOfWork]
    clock: Callable[[], datetime]
    events: EventWriter


def event_writer() -> EventWriter:
    """Dispatch's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("dispatch", OUTGOING)


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Dispatch:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    uow_factory = lambda: DispatchUnitOfWork(engine)  # noqa: E731
    events = event_writer()
    runtime = ServiceRuntime(
        service="dispatch", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(events, clock), INCOMING_SCHEMAS),
    )
    return Dispatch(runtime, uow_factory, clock, events)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
