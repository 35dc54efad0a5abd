"""The composition root: settings in, a wired service out."""
from __future__ import annotations

import logging
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
from .adapters.secret_box import SecretBox
from .service_layer.handlers import Rules, event_handlers
from .service_layer.unit_of_work import IntakeUnitOfWork

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Intake:
    runtime: ServiceRuntime
    uow_factory: Callable[[], IntakeUnitOfWork]
    rules: Rules
    events: EventWriter
    read_uow_factory: Callable[[], IntakeUnitOfWork]


def event_writer() -> EventWriter:
    """Intake's domain events to envelopes, in the wire format its entrypoints define."""
    return EventWriter("intake", OUTGOING)


def bootstrap(settings: Settings | None = None, clock=utcnow) -> Intake:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    box = secret_box(settings.partner_secrets_key)
    uow_factory = lambda: IntakeUnitOfWork(engine, box)  # noqa: E731
    read_uow_factory = lambda: IntakeUnitOfWork(engine, box, read_only=True)  # noqa: E731
    rules = Rules(
        warranty=WarrantyTerms(settings.warranty_months, settings.warranty_months_by_category,
                               settings.warranty_voiding_by_category),
        sla=SlaPolicy(settings.respond_hours, settings.resolve_hours),
        clock=clock, quote_sites=settings.quote_required_sites, callback_attempts=settings.callback_attempts,
        escalation_hours=settings.escalation_hours,
    )
    runtime = ServiceRuntime(
        service="intake", messaging=settings.messaging, engine=engine, metadata=metadata, outbox=outbox,
        migrations_dir=MIGRATIONS, bus=EventBus(uow_factory, event_handlers(rules.escalation_hours), INCOMING_SCHEMAS),
    )
    return Intake(runtime, uow_factory, rules, event_writer(), read_uow_factory)


def secret_box(key: str | None) -> SecretBox:
    """Partner secrets are sealed with PARTNER_SECRETS_KEY. Without one (development, tests) a key lives only as
    long as the process: secrets registered then stop working at the next start, which says loudly enough
    that production needs the key."""
    if key:
        return SecretBox(key)
    log.warning("PARTNER_SECRETS_KEY is not set: partner secrets are sealed with a key that dies with the process")
    return SecretBox(SecretBox.new_key())


def build_runtime() -> ServiceRuntime:
    return bootstrap().runtime
