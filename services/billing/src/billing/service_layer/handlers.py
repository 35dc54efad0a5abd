"""What billing does when a repair is reported complete: book its money side, once per work order."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from aftersales_shared.bus import Handler
from aftersales_shared.envelope import Envelope, caused_by

from ..domain.fees import FeeSchedule
from ..domain.settlement import price_repair
from ..entrypoints.events import completed_job, settlement_posted_data
from .unit_of_work import BillingUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rules:
    schedule: FeeSchedule
    clock: Callable[[], datetime]


def settle_completed_repair(event: Envelope, uow: BillingUnitOfWork, rules: Rules) -> None:
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
    uow.emit(caused_by(
        event, type="SettlementPosted", data=settlement_posted_data(settlement), source="billing",
        subject=settlement.ticket_id, correlation_id=settlement.ticket_id, time=settlement.posted_at,
    ))


def event_handlers(rules: Rules) -> dict[str, Handler]:
    """The handlers need the fee schedule in force, which is loaded at bootstrap."""
    return {"RepairCompleted": lambda event, uow: settle_completed_repair(event, uow, rules)}
