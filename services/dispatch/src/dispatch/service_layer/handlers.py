"""What dispatch does when a ticket arrives, inventory reports on parts, or an engineer registers or finishes a job."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from functools import partial
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.engineers import Engineer, EngineerAlreadyRegistered, choose_engineer
from ..domain.events import EngineerAssigned, RepairCompleted
from ..domain.work_orders import (
    PARTS_RESERVED, PARTS_SHORT, AlreadyCompleted, PartsReport, Product, Sla, UnknownWorkOrder, WorkOrder,
)
from .commands import CompleteWorkOrder, RegisterEngineer
from .unit_of_work import DispatchUnitOfWork

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Registration = tuple[Engineer, list[WorkOrder]]


def open_work_order(event: Envelope, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                    events: EventWriter) -> None:
    """One work order per ticket, however often the ticket is announced; assigned at once when someone fits."""
    data = event.data
    uow.work_orders.lock_site(event.site)
    if uow.work_orders.for_ticket(data["ticket_id"]) is not None:
        log.info("ticket %s already has a work order; TicketCreated %s changes nothing", data["ticket_id"], event.id)
        return
    now = clock()
    work_order = WorkOrder(
        id=str(uuid.uuid4()), ticket_id=data["ticket_id"], site=event.site, region=event.region,
        service_type=data["service_type"], priority=data["priority"], product=Product(**data["product"]),
        warranty_status=data["warranty"]["status"], sla=Sla(**data["sla"]),
        ticket_created_at=data["created_at"], created_at=now,
    )
    engineers = uow.engineers.list(work_order.site)
    chosen = choose_engineer(work_order, engineers, uow.work_orders.open_loads([e.engineer_id for e in engineers]))
    if chosen is not None:
        work_order.assign(chosen.engineer_id, now)
    uow.work_orders.add(work_order)
    if chosen is not None:
        uow.emit(events.follow_on(event, EngineerAssigned(work_order), subject=work_order.ticket_id, time=now))


def record_parts_reserved(event: Envelope, uow: DispatchUnitOfWork) -> None:
    _record_parts_report(event, uow, PARTS_RESERVED)


def record_parts_shortage(event: Envelope, uow: DispatchUnitOfWork) -> None:
    _record_parts_report(event, uow, PARTS_SHORT)


def _record_parts_report(event: Envelope, uow: DispatchUnitOfWork, status: str) -> None:
    report = PartsReport(event.data["ticket_id"], status, event.data.get("reservation_id"), event.time)
    if report.supersedes(uow.work_orders.parts_report(report.ticket_id)):
        uow.work_orders.put_parts_report(report)


def register_engineer(cmd: RegisterEngineer, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                      events: EventWriter,
                      answer: Callable[[Registration], Answer] | None = None) -> Registration | Replayed:
    """Registers the engineer and hands out the site's waiting work orders, oldest ticket first.

    Once per Idempotency-Key: a retry gets the first answer (as ``answer`` wrote it down)."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, clock())
        if earlier is not None:
            return earlier
        uow.work_orders.lock_site(cmd.site)
        if uow.engineers.get(cmd.engineer_id) is not None:
            raise EngineerAlreadyRegistered(cmd.engineer_id)
        now = clock()
        engineer = Engineer(cmd.engineer_id, cmd.name, cmd.site, cmd.region, tuple(cmd.skills), cmd.available, now)
        uow.engineers.add(engineer)
        assigned = _assign_waiting_work_orders(engineer, uow, now, events) if engineer.available else []
        remember(uow.requests, cmd.request, answer, (engineer, assigned))
        uow.commit()
        return engineer, assigned


def _assign_waiting_work_orders(engineer: Engineer, uow: DispatchUnitOfWork, now: datetime,
                                events: EventWriter) -> list[WorkOrder]:
    engineers = uow.engineers.list(engineer.site)
    loads = uow.work_orders.open_loads([e.engineer_id for e in engineers])
    assigned = []
    for work_order in uow.work_orders.unassigned_at(engineer.site):
        if not engineer.can_take(work_order):
            continue
        chosen = choose_engineer(work_order, engineers, loads)
        if chosen is None:
            continue
        work_order.assign(chosen.engineer_id, now)
        if not uow.work_orders.save_assignment(work_order):
            continue
        loads[chosen.engineer_id] = loads.get(chosen.engineer_id, 0) + 1
        assigned.append(work_order)
        uow.emit(events.envelope(EngineerAssigned(work_order), subject=work_order.ticket_id,
                                 region=work_order.region, site=work_order.site, time=now))
    return assigned


def complete_work_order(cmd: CompleteWorkOrder, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                        events: EventWriter,
                        answer: Callable[[WorkOrder], Answer] | None = None) -> WorkOrder | Replayed:
    """Records the engineer's report and announces RepairCompleted, once per work order; a retry with the
    same Idempotency-Key gets the first answer (as ``answer`` wrote it down) rather than a conflict."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, clock())
        if earlier is not None:
            return earlier
        work_order = uow.work_orders.get(cmd.work_order_id)
        if work_order is None:
            raise UnknownWorkOrder(cmd.work_order_id)
        work_order.complete(cmd.report, clock())
        if not uow.work_orders.save_completion(work_order):
            raise AlreadyCompleted(work_order.id)
        uow.emit(events.envelope(RepairCompleted(work_order), subject=work_order.ticket_id,
                                 region=work_order.region, site=work_order.site, time=work_order.completed_at))
        remember(uow.requests, cmd.request, answer, work_order)
        uow.commit()
        return work_order


def event_handlers(events: EventWriter, clock: Clock = utcnow) -> dict:
    """The handlers of incoming events, with what they need: the time, and the wire format of what they emit."""
    return {
        "TicketCreated": partial(open_work_order, clock=clock, events=events),
        "PartReserved": record_parts_reserved,
        "PartReservationFailed": record_parts_shortage,
    }
