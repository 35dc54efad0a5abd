"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.timeutil import utcnow

from .adapters.tables import metadata, outbox
from .config import Settings
from .domain.policies import SlaPolicy, WarrantyTerms
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer.handlers import EVENT_HANDLERS, Rules
from .service_layer.unit_of_work import IntakeUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Intake:
    runtime: ServiceRuntime
    uow_factory: Callable[[], IntakeUnitOfWork]
    rules: Rules
    events: EventWriter


def event_writer() -> EventWriter:
    """Intake's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("intake", OUTGOING)


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Intake:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    uow_factory = lambda: IntakeUnitOfWork(engine)  # noqa: E731
    rules = Rules(
        warranty=WarrantyTerms(settings.warranty_months, settings.warranty_months_by_category),
        sla=SlaPolicy(settings.respond_hours, settings.resolve_hours),
        clock=clock,
    )
    runtime = ServiceRuntime(
        service="intake", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, EVENT_HANDLERS, INCOMING_SCHEMAS),
    )
    return Intake(runtime, uow_factory, rules, event_writer())


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
