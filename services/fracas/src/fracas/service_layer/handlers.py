"""What FRACAS does with each ticket, repair and settlement it hears about, and with a registered installed base."""
from __future__ import annotations

import dataclasses
import logging
from functools import partial
from datetime import datetime
from typing import Callable

from aftersales_shared.bus import Handler
from aftersales_shared.envelope import Envelope
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed

from ..domain.failures import (
    FailureCost, FailureDetail, FailureRecord, PartUsed, Product, TicketFacts, repeats,
)
from .commands import RegisterInstalledBase
from .problem_handlers import watch_for_returns
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
        for model in sorted({unit.model for unit in cmd.units}):
            uow.versions.bump(model)
        remember(uow.requests, cmd.request, answer, len(cmd.units))
        uow.commit()
    return len(cmd.units)


def record_ticket(event: Envelope, uow: FracasUnitOfWork) -> None:
    data = event.data
    if uow.tickets.get(data["ticket_id"]) is not None:
        return
    ticket = TicketFacts(
        ticket_id=data["ticket_id"],
        product=Product(**data["product"]),
        symptom_code=data["fault"]["symptom_code"],
        first_open_failure=data["fault"]["first_open_failure"],
        created_at=data["created_at"],
        repeat_of=data["repeat_of"],
    )
    uow.tickets.add(ticket)
    # The repair may have been reported first; intake's word on the repeat is the one kept.
    if ticket.repeat_of is not None:
        for record in uow.failures.for_ticket(ticket.ticket_id):
            if record.repeat_of != ticket.repeat_of:
                uow.failures.set_repeat_of(record.work_order_id, ticket.repeat_of)


def record_failure(event: Envelope, uow: FracasUnitOfWork, events: EventWriter) -> None:
    """One failure report per work order, however many times the repair is reported."""
    data = event.data
    if uow.failures.get(data["work_order_id"]) is not None:
        log.info("work order %s already reported; %s ignored", data["work_order_id"], event.id)
        return
    record = FailureRecord(
        work_order_id=data["work_order_id"],
        ticket_id=data["ticket_id"],
        engineer_id=data["engineer_id"],
        outcome=data["outcome"],
        completed_at=data["completed_at"],
        failure=FailureDetail(**data["failure"]),
        product=Product(**data["product"]),
        parts_used=tuple(PartUsed(**part) for part in data["parts_used"]),
        warranty_status=data["warranty_status"],
        site=data["site"] or event.site,
        region=data["region"] or event.region,
        repeat_of=data["repeat_of"],
    )
    ticket = uow.tickets.get(record.ticket_id)
    record = link_repeats(record, ticket, uow)
    unit = uow.installed_base.get(record.product.serial)
    uow.failures.add(record, unit)
    uow.versions.bump(record.product.model)
    if unit is not None and unit.model != record.product.model:
        uow.versions.bump(unit.model)
    watch_for_returns(record, uow, events, event.time)


def link_repeats(record: FailureRecord, ticket: TicketFacts | None, uow: FracasUnitOfWork) -> FailureRecord:
    """Names the earlier repair this one repeats, and this one as the earlier repair of a later repeat
    already recorded. Intake's ``repeat_of`` wins; the rule applies only where no event named one."""
    history = [seen for seen in uow.failures.for_serial(record.product.serial) if seen.ticket_id != record.ticket_id]
    if record.repeat_of is None and ticket is not None and ticket.repeat_of is not None:
        record = dataclasses.replace(record, repeat_of=ticket.repeat_of)
    if record.repeat_of is None:
        started = ticket.created_at if ticket is not None else record.completed_at
        earlier = [seen for seen in history if repeats(seen, started, record.failure.failure_mode)]
        if earlier:
            record = dataclasses.replace(record, repeat_of=earlier[-1].ticket_id)
    for later in history:
        if later.repeat_of is None and later.completed_at > record.completed_at:
            later_ticket = uow.tickets.get(later.ticket_id)
            started = later_ticket.created_at if later_ticket is not None else later.completed_at
            if repeats(record, started, later.failure.failure_mode):
                uow.failures.set_repeat_of(later.work_order_id, record.ticket_id)
    return record


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


def event_handlers(events: EventWriter) -> dict[str, Handler]:
    """A new incident may reopen a problem, so its handler needs the wire format of ProblemOpened."""
    return {
        "TicketCreated": record_ticket,
        "RepairCompleted": partial(record_failure, events=events),
        "SettlementPosted": record_failure_cost,
    }
