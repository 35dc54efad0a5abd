"""What billing does with the events it hears: book each completed repair once, priced with what
inventory published; hold a job whose prices are not out yet; flag and penalise what breaks the rules."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Callable, Iterable

from aftersales_shared.bus import Handler
from aftersales_shared.envelope import Envelope
from aftersales_shared.outgoing import EventWriter

from ..adapters.repository import AwaitingJob
from ..domain.catalogue import PartPrice
from ..domain.compliance import (
    FAILED_CALLBACK, MISSING_SIGNATURE, REPEAT_REPAIR, SLA_BREACH, ComplianceFlag, penalty_for,
)
from ..domain.events import SettlementPosted
from ..domain.fees import FeeSchedules
from ..domain.periods import open_period, period_of
from ..domain.settlement import (
    JOB, CompletedJob, Settlement, missing_prices, penalty_settlement, price_repair,
)
from .unit_of_work import BillingUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rules:
    schedules: FeeSchedules
    clock: Callable[[], datetime]

    @property
    def schedule(self):
        """The version in force now (what the API shows by default)."""
        return self.schedules.in_force(self.clock())


def completed_job(event: Envelope) -> CompletedJob:
    """The job as billing prices it; the service point (or dealer) that reported the work is paid for it."""
    data = event.data
    travel_km = data.get("travel_km")
    return CompletedJob(
        ticket_id=data["ticket_id"],
        work_order_id=data["work_order_id"],
        payee=event.site,
        region=event.region,
        category=data["product"]["category"],
        service_type=data["service_type"],
        warranty_status=data["warranty_status"],
        outcome=data["outcome"],
        labour_minutes=data["labour_minutes"],
        parts_used=[(part["part_no"], part["qty"]) for part in data["parts_used"]],
        completed_at=data["completed_at"],
        travel_km=None if travel_km is None else Decimal(str(travel_km)),
        customer_signed=data.get("customer_signed"),
        repeat_of=data.get("repeat_of"),
    )


def settle_completed_repair(event: Envelope, uow: BillingUnitOfWork, rules: Rules, events: EventWriter) -> None:
    """Books the job, or holds it as awaiting_price until inventory publishes what it needs.
    A second report of the same work order books nothing."""
    job = completed_job(event)
    booked = uow.settlements.for_work_order(job.work_order_id)
    if booked is not None or uow.awaiting.get(job.work_order_id) is not None:
        log.info("work order %s already settled or held; RepairCompleted %s books nothing",
                 job.work_order_id, event.id)
        return
    if job.customer_signed is False:
        _flag(uow, job.ticket_id, MISSING_SIGNATURE, "The customer did not sign the job sheet.", job.completed_at)
    if job.repeat_of:
        _flag(uow, job.ticket_id, REPEAT_REPAIR, f"Repeat repair of ticket {job.repeat_of}.", job.completed_at,
              repeat_of=job.repeat_of)
    # Flags raised on a held job wait for its settlement to know whom they concern.
    _try_settle(job, uow, rules, events, event)


def record_part_price(event: Envelope, uow: BillingUnitOfWork, rules: Rules, events: EventWriter) -> None:
    """Keeps the revision in the replica and settles every job that was waiting for it."""
    data = event.data
    price = PartPrice(
        part_no=data["part_no"], unit_cost=data["unit_cost"], list_price=data.get("list_price"),
        revision=data["revision"], effective_at=data["effective_at"], description=data.get("description") or "",
        category=data.get("category") or "", returnable=bool(data.get("returnable", False)),
    )
    if not uow.prices.record(price, rules.clock()):
        log.info("part %s revision %s is not newer than what billing holds; ignored", price.part_no, price.revision)
        return
    for held in uow.awaiting.waiting_on(price.part_no):
        _try_settle(held.job, uow, rules, events, event, since=held.since)


def record_callback(event: Envelope, uow: BillingUnitOfWork, rules: Rules, events: EventWriter) -> None:
    data = event.data
    if data["outcome"] != "failed":
        return
    remarks = f": {data['remarks']}" if data.get("remarks") else ""
    if _flag(uow, data["ticket_id"], FAILED_CALLBACK,
             f"Satisfaction callback failed after {data.get('attempts') or 0} attempt(s){remarks}", data["completed_at"]):
        _book_penalties(uow, rules, events, event, [data["ticket_id"]])


def record_sla_breach(event: Envelope, uow: BillingUnitOfWork, rules: Rules, events: EventWriter) -> None:
    """Dispatch missed a deadline on the job: a flag, and the deduction the rules in force set for it."""
    data = event.data
    if _flag(uow, data["ticket_id"], SLA_BREACH, f"The {data['clock']} deadline {data['deadline'].isoformat()} "
             f"was missed (work order {data.get('work_order_id') or '-'}).", data["breached_at"]):
        _book_penalties(uow, rules, events, event, [data["ticket_id"]])


def _flag(uow: BillingUnitOfWork, ticket_id: str, kind: str, detail: str, at: datetime,
          repeat_of: str | None = None) -> bool:
    return uow.flags.raise_flag(ComplianceFlag(str(uuid.uuid4()), ticket_id, kind, detail, at, repeat_of))


def _try_settle(job: CompletedJob, uow: BillingUnitOfWork, rules: Rules, events: EventWriter,
                cause: Envelope | None, since: datetime | None = None) -> bool:
    schedule = rules.schedules.in_force(job.completed_at)
    prices = uow.prices.in_force(job.part_numbers, job.completed_at)
    missing = missing_prices(job, prices)
    if missing:
        held = uow.awaiting.get(job.work_order_id)
        if held is None or held.waiting_for != tuple(missing):
            uow.awaiting.hold(AwaitingJob(job, tuple(missing), since or rules.clock()))
            log.info("work order %s awaits a price for %s", job.work_order_id, ", ".join(missing))
        return False
    uow.awaiting.release(job.work_order_id)
    uow.periods.guard()
    period = open_period(period_of(job.completed_at), uow.periods.closed())
    settlement = price_repair(job, schedule, prices, str(uuid.uuid4()), rules.clock(), period)
    _post(uow, events, cause, settlement)
    _book_penalties(uow, rules, events, cause, [job.ticket_id])
    return True


def _post(uow: BillingUnitOfWork, events: EventWriter, cause: Envelope | None, settlement: Settlement) -> None:
    uow.settlements.add(settlement)
    announcement = SettlementPosted(settlement)
    if cause is None:
        uow.emit(events.envelope(announcement, subject=settlement.ticket_id, region=settlement.region or "all",
                                 site=settlement.payee, time=settlement.posted_at,
                                 correlation_id=settlement.ticket_id))
        return
    uow.emit(events.follow_on(cause, announcement, subject=settlement.ticket_id,
                              correlation_id=settlement.ticket_id, time=settlement.posted_at,
                              region=settlement.region or cause.region, site=settlement.payee))


def _book_penalties(uow: BillingUnitOfWork, rules: Rules, events: EventWriter, cause: Envelope | None,
                    ticket_ids: Iterable[str]) -> None:
    """Deducts what each open flag costs once the job it concerns is settled (events come in any order);
    the deduction lands on the statement open now, whatever month the job was in."""
    for ticket_id in ticket_ids:
        for flag in [*uow.flags.for_ticket(ticket_id), *uow.flags.repeats_of(ticket_id)]:
            if flag.penalty_settlement_id is not None:
                continue
            concerned = flag.repeat_of if flag.kind == REPEAT_REPAIR else flag.ticket_id
            jobs = [s for s in uow.settlements.for_ticket(concerned) if s.document == JOB]
            if not jobs:
                continue
            schedule = rules.schedules.in_force(flag.raised_at)
            amount = penalty_for(flag, schedule.penalties, jobs)
            if amount <= 0:
                continue
            now = rules.clock()
            first = jobs[0]
            uow.periods.guard()
            penalty = penalty_settlement(
                settlement_id=str(uuid.uuid4()), ticket_id=concerned,
                work_order_id=f"penalty-{flag.flag_id}", payee=first.payee, currency=schedule.currency,
                kind="adjustment" if flag.kind == REPEAT_REPAIR else "penalty",
                description=_penalty_description(flag), amount=amount,
                period=open_period(period_of(now), uow.periods.closed()), posted_at=now, region=first.region,
            )
            _post(uow, events, cause, penalty)
            uow.flags.penalised(flag.flag_id, penalty.settlement_id)


def _penalty_description(flag: ComplianceFlag) -> str:
    if flag.kind == REPEAT_REPAIR:
        return f"Clawback of the labour fee of ticket {flag.repeat_of}: repeat repair {flag.ticket_id}"
    if flag.kind == MISSING_SIGNATURE:
        return f"Penalty: no customer signature on ticket {flag.ticket_id}"
    if flag.kind == SLA_BREACH:
        return f"Penalty: service deadline missed on ticket {flag.ticket_id}"
    return f"Penalty: failed satisfaction callback on ticket {flag.ticket_id}"


def settle_held_jobs(uow_factory: Callable[[], BillingUnitOfWork], rules: Rules,
                     events: EventWriter) -> Callable[[datetime], int]:
    """A periodic sweep: a price and a completion handled at the same moment by two consumers can each miss
    the other's uncommitted row, leaving a job held although its price is in; the sweep settles it."""

    def run(_now: datetime) -> int:
        settled = 0
        with uow_factory() as uow:
            for held in uow.awaiting.list():
                if _try_settle(held.job, uow, rules, events, None, since=held.since):
                    settled += 1
            uow.commit()
        return settled

    return run


def event_handlers(rules: Rules, events: EventWriter) -> dict[str, Handler]:
    """The handlers need the fee schedules, loaded at bootstrap, and the wire format of what they emit."""
    return {
        "RepairCompleted": partial(settle_completed_repair, rules=rules, events=events),
        "PartPriceChanged": partial(record_part_price, rules=rules, events=events),
        "CallbackCompleted": partial(record_callback, rules=rules, events=events),
        "SlaBreached": partial(record_sla_breach, rules=rules, events=events),
    }
