"""The composition root: settings in, a wired service out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from aftersales_shared.bus import EventBus
from aftersales_shared.config import ConfigError
from aftersales_shared.db import make_engine
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.periodic import PeriodicJob
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.timeutil import utcnow

from .adapters.fee_schedule import load_default_schedule, load_schedule
from .adapters.tables import metadata, outbox
from .config import Settings
from .domain.fees import FeeSchedules
from .entrypoints.events import INCOMING_SCHEMAS, OUTGOING
from .service_layer.handlers import Rules, event_handlers, settle_held_jobs
from .service_layer.unit_of_work import BillingUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Billing:
    runtime: ServiceRuntime
    uow_factory: Callable[..., BillingUnitOfWork]
    rules: Rules


def event_writer() -> EventWriter:
    """Billing's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("billing", OUTGOING)


def fee_schedule(settings: Settings) -> FeeSchedules:
    """Read once at start-up: a schedule that cannot be read stops the service before it prices anything."""
    if settings.fee_schedule_path is None:
        return load_default_schedule()
    try:
        return load_schedule(settings.fee_schedule_path)
    except OSError as exc:
        raise ConfigError(f"FEE_SCHEDULE_PATH: cannot read {settings.fee_schedule_path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"FEE_SCHEDULE_PATH: {exc}") from exc


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Billing:
    settings = settings or Settings.from_env()
    rules = Rules(schedules=fee_schedule(settings), clock=clock)
    engine = make_engine(settings.database_url)
    uow_factory = lambda read_only=False: BillingUnitOfWork(engine, read_only=read_only)  # noqa: E731
    runtime = ServiceRuntime(
        service="billing", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(rules, event_writer()), INCOMING_SCHEMAS),
        periodic_jobs=(PeriodicJob("settle-held-jobs", settings.held_jobs_every_seconds,
                                   settle_held_jobs(uow_factory, rules, event_writer())),),
    )
    return Billing(runtime, uow_factory, rules)


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
