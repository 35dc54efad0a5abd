"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.periodic import PeriodicJob
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.topology import Topology
from aftersales_shared.timeutil import utcnow

from .adapters.tables import metadata, outbox
from .config import Settings
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer.handlers import detect_breaches, event_handlers, hand_over_at_shift_end
from .service_layer.unit_of_work import DispatchUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class DispatchRuntime(ServiceRuntime):
    """The shared runtime, taking only the configured regions' events (one queue per region)."""

    regions: tuple[str, ...] = ()

    @property
    def topologies(self) -> list[Topology]:
        base = ServiceRuntime.topology.fget(self)
        return [] if base is None else base.for_regions(self.regions)

    @property
    def topology(self) -> Topology | None:
        """The first region's queue (the only one of a consumer serving one region, as deployed)."""
        topologies = self.topologies
        return topologies[0] if topologies else None


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
    breaches = PeriodicJob("sla_breaches", settings.breach_check_seconds,
                           partial(detect_breaches, uow_factory=uow_factory, events=events))
    handover = PeriodicJob("shift_handover", 60.0, partial(hand_over_at_shift_end, uow_factory=uow_factory,
                                                          events=events))
    runtime = DispatchRuntime(
        service="dispatch", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(events, clock), INCOMING_SCHEMAS),
        periodic_jobs=(breaches, handover), regions=settings.regions,
    )
    return Dispatch(runtime, uow_factory, clock, events)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
