"""What billing does when a repair is reported complete: book its money side, once per work order."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable

from aftersales_shared.bus import Handler
from aftersales_shared.envelope import Envelope
from aftersales_shared.outgoing import EventWriter

from ..domain.events import SettlementPosted
from ..domain.fees import FeeSchedule
from ..domain.settlement import CompletedJob, price_repair
from .unit_of_work import BillingUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rules:
    schedule: FeeSchedule
    clock: Callable[[], datetime]


def completed_job(event: Envelope) -> CompletedJob:
    """The job as billing prices it; the service point that reported the work is the one paid for it."""
    data = event.data
    return CompletedJob(
        ticket_id=data["ticket_id"],
        work_order_id=data["work_order_id"],
        payee=event.site,
        category=data["product"]["category"],
        service_type=data["service_type"],
        warranty_status=data["warranty_status"],
        labour_minutes=data["labour_minutes"],
        parts_used=[(part["part_no"], part["qty"]) for part in data["parts_used"]],
        completed_at=data["completed_at"],
    )


def settle_completed_repair(event: Envelope, uow: BillingUnitOfWork, rules: Rules, events: EventWriter) -> None:
    """Prices the job and posts the settlement. A job the schedule cannot price raises, so the
    consumer retries and finally parks the event with the error instead of booking a wrong amount."""
    job = completed_job(event)
    booked = uow.settlements.for_work_order(job.work_order_id)
    if booked is not None:
        log.info("work order %s already settled as %s; RepairCompleted %s books nothing",
                 job.work_order_id, booked.settlement_id, event.id)
        return
    settlement = price_repair(job, rules.schedule, str(uuid.uuid4()), rules.clock())
    uow.settlements.add(settlement)
    uow.emit(events.follow_on(event, SettlementPosted(settlement), subject=settlement.ticket_id,
                              correlation_id=settlement.ticket_id, time=settlement.posted_at))


def event_handlers(rules: Rules, events: EventWriter) -> dict[str, Handler]:
    """The handlers need the fee schedule in force, loaded at bootstrap, and the wire format of what they emit."""
    return {"RepairCompleted": partial(settle_completed_repair, rules=rules, events=events)}
