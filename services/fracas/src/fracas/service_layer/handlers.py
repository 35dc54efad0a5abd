"""What FRACAS does with each ticket, repair and settlement it hears about, and with a registered installed base."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed

from ..domain.failures import FailureCost, FailureDetail, FailureRecord, PartUsed, Product, TicketFacts
from .commands import RegisterInstalledBase
from .unit_of_work import FracasUnitOfWork

log = logging.getLogger(__name__)


def register_installed_base(cmd: RegisterInstalledBase, uow: FracasUnitOfWork, now: datetime,
                            answer: Callable[[int], Answer] | None = None) -> int | Replayed:
    """Returns how many units were registered (new or updated); a retry with the same Idempotency-Key gets
    the first answer (as ``answer`` wrote it down) and registers nothing again."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        uow.installed_base.register(cmd.units, now)
        remember(uow.requests, cmd.request, answer, len(cmd.units))
        uow.commit()
    return len(cmd.units)


def record_ticket(event: Envelope, uow: FracasUnitOfWork) -> None:
    data = event.data
    if uow.tickets.get(data["ticket_id"]) is not None:
        return
    uow.tickets.add(TicketFacts(
        ticket_id=data["ticket_id"],
        product=Product(**data["product"]),
        symptom_code=data["fault"]["symptom_code"],
        first_open_failure=data["fault"]["first_open_failure"],
        created_at=data["created_at"],
    ))


def record_failure(event: Envelope, uow: FracasUnitOfWork) -> None:
    """One failure report per work order, however many times the repair is reported."""
    data = event.data
    if uow.failures.get(data["work_order_id"]) is not None:
        log.info("work order %s already reported; %s ignored", data["work_order_id"], event.id)
        return
    uow.failures.add(FailureRecord(
        work_order_id=data["work_order_id"],
        ticket_id=data["ticket_id"],
        engineer_id=data["engineer_id"],
        outcome=data["outcome"],
        completed_at=data["completed_at"],
        failure=FailureDetail(**data["failure"]),
        product=Product(**data["product"]),
        parts_used=tuple(PartUsed(**part) for part in data["parts_used"]),
        warranty_status=data["warranty_status"],
    ))


def record_failure_cost(event: Envelope, uow: FracasUnitOfWork) -> None:
    """Stored by work order whether or not its repair report has arrived yet."""
    data = event.data
    known = uow.failures.cost_of(data["work_order_id"])
    if known is not None:
        if known.settlement_id != data["settlement_id"]:
            log.warning("work order %s already costed by settlement %s; %s ignored",
                        data["work_order_id"], known.settlement_id, data["settlement_id"])
        return
    uow.failures.add_cost(FailureCost(
        work_order_id=data["work_order_id"],
        settlement_id=data["settlement_id"],
        ticket_id=data["ticket_id"],
        customer=data["totals"]["customer"],
        manufacturer=data["totals"]["manufacturer"],
        currency=data["currency"],
        posted_at=data["posted_at"],
    ))


EVENT_HANDLERS = {
    "TicketCreated": record_ticket,
    "RepairCompleted": record_failure,
    "SettlementPosted": record_failure_cost,
}
