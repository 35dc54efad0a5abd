"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.timeutil import utcnow

from .adapters.tables import metadata, outbox
from .config import Settings
from .entrypoints.events import INCOMING_SCHEMAS
from .service_layer.handlers import EVENT_HANDLERS
from .service_layer.unit_of_work import FracasUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Fracas:
    runtime: ServiceRuntime
    uow_factory: Callable[[], FracasUnitOfWork]
    clock: Callable[[], datetime]


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Fracas:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    uow_factory = lambda: FracasUnitOfWork(engine)  # noqa: E731
    runtime = ServiceRuntime(
        service="fracas", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, EVENT_HANDLERS, INCOMING_SCHEMAS),
    )
    return Fracas(runtime, uow_factory, clock)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
