"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.periodic import PeriodicJob
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.timeutil import utcnow

from .adapters.tables import metadata, outbox
from .config import Settings
from .domain.detection import DetectionRules
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer import problem_handlers
from .service_layer.fit_cache import FitCache
from .service_layer.handlers import event_handlers
from .service_layer.unit_of_work import FracasUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Fracas:
    runtime: ServiceRuntime
    uow_factory: Callable[[], FracasUnitOfWork]
    clock: Callable[[], datetime]
    events: EventWriter
    rules: DetectionRules
    fits: FitCache = field(default_factory=FitCache)


def event_writer() -> EventWriter:
    """FRACAS's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("fracas", OUTGOING)


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Fracas:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    uow_factory = lambda: FracasUnitOfWork(engine)  # noqa: E731
    events = event_writer()
    rules = settings.detection
    detect = PeriodicJob("problem_detection", settings.detection_every_seconds,
                         lambda now: problem_handlers.detect(uow_factory(), events, rules, now))
    runtime = ServiceRuntime(
        service="fracas", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(events), INCOMING_SCHEMAS),
        periodic_jobs=(detect,),
    )
    return Fracas(runtime, uow_factory, clock, events, rules)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
