"""What dispatch does when a ticket arrives, inventory reports on parts, an engineer acts, or a clock runs out."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.engineers import (
    OFF, Engineer, EngineerAlreadyRegistered, UnknownEngineer, choose, nobody_fits, score,
)
from ..domain.events import EngineerAssigned, RepairCompleted, SlaBreached
from ..domain.sla import Risk, clocks_of, depot_due, predict
from ..domain.work_orders import (
    AWAITING_QUOTE, ENGINEER_ACTIONS, NOT_STARTED, PARTS_RESERVED, PARTS_SHORT, WAITING_CUSTOMER,
    WAITING_PARTS, AlreadyCompleted, PartsReport, Product, Sla, UnknownWorkOrder, WorkOrder, WorkOrderConflict,
)
from .commands import ChangeEngineer, CompleteWorkOrder, Reassign, RegisterEngineer, SetCalendar, WorkOrderAction
from .unit_of_work import DispatchUnitOfWork

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Registration = tuple[Engineer, list[WorkOrder]]
FIXED = ("repaired", "replaced")


class ChangedMeanwhile(WorkOrderConflict):
    """Another writer saved the work order since it was read; the caller retries with fresh state."""

    def __init__(self, work_order_id: str):
        super().__init__("version", f"Work order {work_order_id} changed meanwhile; try again.")


# -- shared steps ---------------------------------------------------------------------------------------

def _announce(uow, events: EventWriter, domain_event, work_order: WorkOrder, at: datetime,
              cause: Envelope | None = None) -> None:
    if cause is not None:
        uow.emit(events.follow_on(cause, domain_event, subject=work_order.ticket_id, time=at))
    else:
        uow.emit(events.envelope(domain_event, subject=work_order.ticket_id, region=work_order.region,
                                 site=work_order.site, time=at))


def _try_assign(work_order: WorkOrder, uow: DispatchUnitOfWork, now: datetime, events: EventWriter,
                cause: Envelope | None = None) -> bool:
    """Site before region: the best engineer who fits gets the job; nobody: the reason is kept."""
    if not work_order.needs_engineer:
        return False
    zone = uow.calendars.get(work_order.site).zone
    skill = work_order.product.category
    for scope in ({"site": work_order.site}, {"region": work_order.region}):
        candidates = uow.engineers.candidates(skill, **scope)
        fixes = uow.engineers.fixes(work_order.symptom_code, [e.engineer_id for e in candidates])
        while candidates:
            chosen = choose(work_order, candidates, fixes, now, zone)
            if chosen is None:
                break
            # The slot is taken by a conditional update: a competing consumer that took it first wins.
            if uow.engineers.take_slot(chosen.engineer.engineer_id):
                work_order.assign(chosen.engineer.engineer_id, now, chosen.score, chosen.reason)
                _announce(uow, events, EngineerAssigned(work_order), work_order, now, cause)
                return True
            candidates = [e for e in candidates if e.engineer_id != chosen.engineer.engineer_id]
    work_order.leave_unassigned(nobody_fits(work_order))
    return False


def _save(work_order: WorkOrder, uow: DispatchUnitOfWork) -> None:
    if not uow.work_orders.save(work_order):
        raise ChangedMeanwhile(work_order.id)
    _refresh_clocks(work_order, uow)


def _refresh_clocks(work_order: WorkOrder, uow: DispatchUnitOfWork, history=None) -> None:
    """``history``: the whole of it when the caller has it (a new work order's), else it is read back."""
    if work_order.status == AWAITING_QUOTE:
        return
    calendar = uow.calendars.get(work_order.site)
    history = uow.work_orders.history(work_order.id) if history is None else history
    uow.clocks.put(clocks_of(work_order, history, calendar))


def _release(work_order: WorkOrder, engineer_id: str | None, uow: DispatchUnitOfWork) -> None:
    if engineer_id is not None:
        uow.engineers.change_load(engineer_id, -1)


# -- incoming events ------------------------------------------------------------------------------------

def open_work_order(event: Envelope, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                    events: EventWriter) -> None:
    """One work order per ticket, however often the ticket is announced; assigned at once when someone fits,
    unless the customer must accept a quote first (then QuoteAccepted opens it)."""
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
        ticket_created_at=data["created_at"], created_at=now, status=AWAITING_QUOTE,
        symptom_code=(data.get("fault") or {}).get("symptom_code"), parts_expected=bool(data.get("parts")),
        quote_required=bool(data.get("quote_required")), repeat_of=data.get("repeat_of"),
        parts=uow.work_orders.parts_report(data["ticket_id"]),
    )
    facts = uow.work_orders.ticket_facts(work_order.ticket_id)
    if facts.get("cancelled_at"):
        work_order.cancel(now, facts.get("cancel_reason") or "ticket cancelled")
    elif not work_order.quote_required:
        work_order.open(now, accepted_at=work_order.ticket_created_at)
    elif facts.get("quote_accepted_at"):
        work_order.open(now, accepted_at=facts["quote_accepted_at"])
    _try_assign(work_order, uow, now, events, cause=event)
    history = list(work_order.pending)
    uow.work_orders.add(work_order)
    _refresh_clocks(work_order, uow, history)


def accept_quote(event: Envelope, uow: DispatchUnitOfWork, clock: Clock = utcnow, *, events: EventWriter) -> None:
    ticket_id = event.data["ticket_id"]
    uow.work_orders.put_ticket_facts(ticket_id, quote_accepted_at=event.data["accepted_at"])
    work_order = uow.work_orders.for_ticket(ticket_id, for_update=True)
    if work_order is None or work_order.status != AWAITING_QUOTE:
        return
    now = clock()
    work_order.open(now, accepted_at=event.data["accepted_at"])
    _try_assign(work_order, uow, now, events, cause=event)
    _save(work_order, uow)


def cancel_ticket(event: Envelope, uow: DispatchUnitOfWork, clock: Clock = utcnow) -> None:
    ticket_id = event.data["ticket_id"]
    uow.work_orders.put_ticket_facts(ticket_id, cancelled_at=event.data["cancelled_at"],
                                     cancel_reason=event.data["reason"])
    work_order = uow.work_orders.for_ticket(ticket_id, for_update=True)
    if work_order is None:
        return
    engineer_id = work_order.engineer_id if work_order.is_open else None
    if work_order.cancel(clock(), event.data["reason"]):
        _release(work_order, engineer_id, uow)
        _save(work_order, uow)


def record_parts_reserved(event: Envelope, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                          events: EventWriter | None = None) -> None:
    report = _record_parts_report(event, uow, PARTS_RESERVED)
    work_order = uow.work_orders.for_ticket(report.ticket_id, for_update=True)
    if work_order is None:
        return
    work_order.parts = uow.work_orders.parts_report(report.ticket_id)
    if work_order.parts_status == PARTS_RESERVED and work_order.parts_arrived(clock()):
        if events is not None:
            _try_assign(work_order, uow, clock(), events, cause=event)
        _save(work_order, uow)


def record_parts_shortage(event: Envelope, uow: DispatchUnitOfWork) -> None:
    _record_parts_report(event, uow, PARTS_SHORT)


def _record_parts_report(event: Envelope, uow: DispatchUnitOfWork, status: str) -> PartsReport:
    report = PartsReport(event.data["ticket_id"], status, event.data.get("reservation_id"), event.time)
    if report.supersedes(uow.work_orders.parts_report(report.ticket_id)):
        uow.work_orders.put_parts_report(report)
    return report


# -- engineers --------------------------------------------------------------------------------------------

def register_engineer(cmd: RegisterEngineer, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                      events: EventWriter,
                      answer: Callable[[Registration], Answer] | None = None) -> Registration | Replayed:
    """Registers the engineer and hands out waiting work orders of the site (then the region), oldest first.

    Once per Idempotency-Key: a retry gets the first answer (as ``answer`` wrote it down)."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, clock())
        if earlier is not None:
            return earlier
        uow.work_orders.lock_site(cmd.site)
        if uow.engineers.get(cmd.engineer_id) is not None:
            raise EngineerAlreadyRegistered(cmd.engineer_id)
        now = clock()
        status = cmd.status or ("available" if cmd.available else OFF)
        engineer = Engineer(cmd.engineer_id, cmd.name, cmd.site, cmd.region, tuple(cmd.skills), status, now,
                            cmd.shift_start, cmd.shift_end)
        uow.engineers.add(engineer)
        assigned = _hand_out_waiting_work(engineer, uow, now, events) if engineer.available else []
        remember(uow.requests, cmd.request, answer, (engineer, assigned))
        uow.commit()
        return uow.engineers.get(engineer.engineer_id), assigned


def _hand_out_waiting_work(engineer: Engineer, uow: DispatchUnitOfWork, now: datetime,
                           events: EventWriter) -> list[WorkOrder]:
    zone = uow.calendars.get(engineer.site).zone
    assigned = []
    waiting = uow.work_orders.needing_engineer(site=engineer.site)
    waiting += [w for w in uow.work_orders.needing_engineer(region=engineer.region) if w.site != engineer.site]
    for work_order in waiting:
        if engineer.why_not(work_order, now, zone) is not None:
            continue
        if _try_assign(work_order, uow, now, events):
            _save(work_order, uow)
            assigned.append(work_order)
    return assigned


def change_engineer(cmd: ChangeEngineer, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                    events: EventWriter) -> tuple[Engineer, list[WorkOrder]]:
    """A new status or shift. Going off (or busy) hands back jobs not yet started, which are reassigned;
    coming back takes waiting work. Returns the engineer and the work orders that moved."""
    with uow:
        engineer = uow.engineers.get(cmd.engineer_id, for_update=True)
        if engineer is None:
            raise UnknownEngineer(cmd.engineer_id)
        uow.work_orders.lock_site(engineer.site)
        now = clock()
        changed = engineer
        if cmd.status is not None:
            changed = changed.with_status(cmd.status)
        if cmd.change_shift:
            changed = replace(changed, shift_start=cmd.shift_start, shift_end=cmd.shift_end)
        uow.engineers.save(changed)
        moved = []
        # Busy keeps its queue (the engineer is on a job) and only takes nothing new; off hands it back.
        if changed.status == OFF or not changed.on_shift(now, uow.calendars.get(changed.site).zone):
            moved = _hand_back(changed, uow, now, events)
        elif changed.available and (not engineer.available or engineer != changed):
            moved = _hand_out_waiting_work(uow.engineers.get(changed.engineer_id), uow, now, events)
        uow.commit()
        return uow.engineers.get(changed.engineer_id), moved


def _hand_back(engineer: Engineer, uow: DispatchUnitOfWork, now: datetime, events: EventWriter) -> list[WorkOrder]:
    """The engineer's jobs not yet under way go to someone else (or wait, with the reason)."""
    moved = []
    for work_order in uow.work_orders.open_of_engineer(engineer.engineer_id):
        if work_order.effective_status not in NOT_STARTED:
            continue
        work_order = uow.work_orders.get(work_order.id, for_update=True)
        previous = work_order.unassign(now, "off_shift", f"{engineer.engineer_id} off shift")
        _release(work_order, previous, uow)
        _try_assign(work_order, uow, now, events)
        _save(work_order, uow)
        moved.append(work_order)
    return moved


def hand_over_at_shift_end(now: datetime, uow_factory: Callable[[], DispatchUnitOfWork], events: EventWriter) -> int:
    """Periodic: engineers whose shift has ended hand back the jobs they have not started. Safe to run again
    or in two processes: a handed-back job has no engineer, and a stale writer loses on the version."""
    moved = 0
    with uow_factory() as uow:
        for engineer in uow.engineers.on_shift_work():
            if not engineer.on_shift(now, uow.calendars.get(engineer.site).zone):
                moved += len(_hand_back(engineer, uow, now, events))
        uow.commit()
    return moved


# -- work order steps -----------------------------------------------------------------------------------

def _locked(uow: DispatchUnitOfWork, work_order_id: str) -> WorkOrder:
    work_order = uow.work_orders.get(work_order_id, for_update=True)
    if work_order is None:
        raise UnknownWorkOrder(work_order_id)
    return work_order


def act(cmd: WorkOrderAction, uow: DispatchUnitOfWork, clock: Clock = utcnow, *, events: EventWriter) -> WorkOrder:
    """One step of the lifecycle; an illegal one raises IllegalTransition (409, naming the current state)."""
    with uow:
        work_order = _locked(uow, cmd.work_order_id)
        now = clock()
        if cmd.action in ENGINEER_ACTIONS:
            work_order.act(cmd.action, now, cmd.engineer_id)
        elif cmd.action == "decline":
            previous = work_order.decline(cmd.engineer_id or work_order.engineer_id or "", now, cmd.reason)
            _release(work_order, previous, uow)
            _try_assign(work_order, uow, now, events)
        elif cmd.action == "cannot_complete":
            engineer_id = work_order.engineer_id
            work_order.cannot_complete(cmd.engineer_id, now, cmd.reason)
            _release(work_order, engineer_id, uow)
        elif cmd.action in (WAITING_PARTS, WAITING_CUSTOMER):
            work_order.interrupt(cmd.action, now, cmd.reason)
        elif cmd.action == "resume":
            work_order.resume(now, cmd.reason)
            _try_assign(work_order, uow, now, events)
        else:
            raise ValueError(f"unknown action {cmd.action}")
        _save(work_order, uow)
        uow.commit()
        return work_order


def reassign(cmd: Reassign, uow: DispatchUnitOfWork, clock: Clock = utcnow, *, events: EventWriter) -> WorkOrder:
    """A dispatcher's decision: the named engineer gets the job (if it has not started), whatever the score."""
    with uow:
        work_order = _locked(uow, cmd.work_order_id)
        target = uow.engineers.get(cmd.engineer_id)
        if target is None:
            raise UnknownEngineer(cmd.engineer_id)
        now = clock()
        problem = target.why_not(work_order, now, uow.calendars.get(work_order.site).zone)
        if problem and "declined" not in problem:
            raise WorkOrderConflict("engineer_id", f"Cannot give work order {work_order.id} to {problem}.")
        if work_order.engineer_id == target.engineer_id:
            raise WorkOrderConflict("engineer_id", f"Work order {work_order.id} is already {target.engineer_id}'s.")
        if work_order.engineer_id is not None:
            _release(work_order, work_order.unassign(now, "reassign", cmd.reason), uow)
        elif not work_order.needs_engineer:
            raise WorkOrderConflict("status", f"Cannot reassign work order {work_order.id}: it is {work_order.status}.")
        if not uow.engineers.take_slot(target.engineer_id):
            raise WorkOrderConflict("engineer_id", f"{target.engineer_id} cannot take another job now.")
        fixes = uow.engineers.fixes(work_order.symptom_code, [target.engineer_id]).get(target.engineer_id, 0)
        chosen = score(target, work_order, fixes, target.site == work_order.site)
        work_order.assign(target.engineer_id, now, chosen.score, f"by dispatcher: {cmd.reason}")
        _announce(uow, events, EngineerAssigned(work_order), work_order, now)
        _save(work_order, uow)
        uow.commit()
        return work_order


def complete_work_order(cmd: CompleteWorkOrder, uow: DispatchUnitOfWork, clock: Clock = utcnow, *,
                        events: EventWriter,
                        answer: Callable[[WorkOrder], Answer] | None = None) -> WorkOrder | Replayed:
    """Records the engineer's report and announces RepairCompleted, once per work order; a retry with the
    same Idempotency-Key gets the first answer (as ``answer`` wrote it down) rather than a conflict."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, clock())
        if earlier is not None:
            return earlier
        work_order = uow.work_orders.get(cmd.work_order_id, for_update=True)
        if work_order is None:
            raise UnknownWorkOrder(cmd.work_order_id)
        work_order.complete(cmd.report, clock())
        if cmd.travel_km is not None:
            work_order.travel_km = cmd.travel_km
        if not uow.work_orders.save(work_order):
            raise AlreadyCompleted(work_order.id)
        _refresh_clocks(work_order, uow)
        _release(work_order, work_order.engineer_id, uow)
        symptom = cmd.report.failure.symptom_code or work_order.symptom_code
        if symptom and cmd.report.outcome in FIXED:
            uow.engineers.record_fix(work_order.engineer_id, symptom)
        _announce(uow, events, RepairCompleted(work_order), work_order, work_order.completed_at)
        remember(uow.requests, cmd.request, answer, work_order)
        uow.commit()
        return work_order


# -- calendars and clocks -----------------------------------------------------------------------------

def set_calendar(cmd: SetCalendar, uow: DispatchUnitOfWork, clock: Clock = utcnow) -> int:
    """A site's working calendar; the open work orders' clocks are derived again from their history."""
    with uow:
        uow.work_orders.lock_site(cmd.site)
        uow.calendars.put(cmd.site, cmd.calendar, clock())
        open_orders = uow.work_orders.open_at(cmd.site, limit=100_000)
        for work_order in open_orders:
            _refresh_clocks(work_order, uow)
        uow.commit()
        return len(open_orders)


def detect_breaches(now: datetime, uow_factory: Callable[[], DispatchUnitOfWork], events: EventWriter) -> int:
    """SlaBreached once per clock: the conditional update lets only one process (or run) record it."""
    fired = 0
    with uow_factory() as uow:
        for state in uow.clocks.due(now):
            if uow.clocks.mark_breached(state.work_order_id, state.clock, now):
                uow.emit(events.envelope(SlaBreached(state, now), subject=state.ticket_id, region=state.region,
                                         site=state.site, time=now))
                fired += 1
        uow.commit()
    return fired


def at_risk(site: str, uow: DispatchUnitOfWork, now: datetime) -> list[tuple[WorkOrder, Risk]]:
    """Open work orders of a site predicted to miss their running clock, soonest deadline first."""
    calendar = uow.calendars.get(site)
    found = []
    for work_order in uow.work_orders.open_at(site):
        engineer = uow.engineers.get(work_order.engineer_id) if work_order.engineer_id else None
        queue_ahead = max((engineer.load if engineer else 0) - 1, 0)
        clocks = clocks_of(work_order, uow.work_orders.history(work_order.id), calendar)
        risk = predict(work_order, clocks, now, calendar, queue_ahead, engineer.site if engineer else None)
        if risk is not None:
            found.append((work_order, risk))
    return sorted(found, key=lambda pair: (pair[1].deadline is None, pair[1].deadline or now))


def overdue_depot_units(site: str, uow: DispatchUnitOfWork, now: datetime) -> list[tuple[WorkOrder, datetime]]:
    """Depot and mail-in units received more than three working days ago and not yet returned."""
    calendar = uow.calendars.get(site)
    overdue = []
    for work_order in uow.work_orders.open_at(site):
        if work_order.is_depot and work_order.received_at is not None:
            due = depot_due(work_order.received_at, calendar)
            if due is not None and due < now:
                overdue.append((work_order, due))
    return overdue


def event_handlers(events: EventWriter, clock: Clock = utcnow) -> dict:
    """The handlers of incoming events, with what they need: the time, and the wire format of what they emit."""
    return {
        "TicketCreated": partial(open_work_order, clock=clock, events=events),
        "QuoteAccepted": partial(accept_quote, clock=clock, events=events),
        "TicketCancelled": partial(cancel_ticket, clock=clock),
        "PartReserved": partial(record_parts_reserved, clock=clock, events=events),
        "PartReservationFailed": record_parts_shortage,
    }
