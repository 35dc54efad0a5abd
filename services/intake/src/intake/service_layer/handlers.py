"""What intake does when a request arrives, an operator acts, or another service reports on a ticket."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.vocabulary import OUT_OF_WARRANTY

from ..domain.customers import Unit, normalised_phone
from ..domain.events import CallbackCompleted, QuoteAccepted, TicketCancelled, TicketClosed, TicketCreated
from ..domain.lifecycle import IllegalTransition, StateChange
from ..domain.policies import SlaPolicy, WarrantyTerms
from ..domain.tickets import Customer, Ticket, TimelineEntry, ticket_number
from .commands import (
    CloseTicket, CreateTicket, FileComplaint, GiveQuote, RecordCallback, SupplyProof, TicketAction,
)
from .unit_of_work import IntakeUnitOfWork

AUDIT = "StateChanged"


class TicketNotFound(LookupError):
    pass


class ArticleNotFound(LookupError):
    pass


class ConcurrentChange(Exception):
    """The ticket moved while this action was deciding; the caller may try again."""


@dataclass(frozen=True)
class Rules:
    warranty: WarrantyTerms
    sla: SlaPolicy
    clock: Callable[[], datetime]
    # Sites whose policy asks for a quote before an out-of-warranty repair.
    quote_sites: frozenset = field(default_factory=frozenset)
    callback_attempts: int = 3
    # How long the supervisor has to act on a ticket whose SLA was breached.
    escalation_hours: int = 4


def create_ticket(cmd: CreateTicket, uow: IntakeUnitOfWork, rules: Rules, events: EventWriter,
                  answer: Callable[[Ticket], Answer] | None = None) -> Ticket | Replayed:
    """The new ticket; or, for a request sent again under its Idempotency-Key, the first answer to it (as
    ``answer`` wrote it down), with nothing created."""
    with uow:
        now = rules.clock()
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        phone = normalised_phone(cmd.customer_phone)
        customer_id, unit = uow.tickets.known(phone, cmd.product.serial)
        customer = _customer(cmd, phone, customer_id, uow, now)
        product = _known(cmd.product, unit)
        warranty = rules.warranty.decide(product.category, product.purchase_date, now.date(),
                                         product.proof_of_purchase, cmd.fault.conditions)
        quote_required = cmd.quote_required if cmd.quote_required is not None else (
            warranty.status == OUT_OF_WARRANTY and cmd.site in rules.quote_sites)
        ticket = Ticket(
            id=str(uuid.uuid4()),
            ticket_no=ticket_number(cmd.site, now.date(), uow.tickets.next_sequence(cmd.site, now.date())),
            channel=cmd.channel, service_type=cmd.service_type, priority=cmd.priority,
            site=cmd.site, region=cmd.region, customer=customer,
            product=product, fault=cmd.fault, parts=list(cmd.parts),
            warranty=warranty, sla=rules.sla.deadlines(cmd.priority, now),
            created_at=now, partner_id=cmd.partner_id, quote_required=quote_required,
            repeat_of=unit.repeat_of(cmd.fault.kind, now) if unit else None,
        )
        opened = ticket.open(cmd.diagnose_first, cmd.operator, now)
        _remember_unit(uow, unit, ticket, now)
        uow.tickets.add(ticket)
        entries = [_publish(TicketCreated(ticket), ticket, uow, events, now, opened) if ticket.dispatched
                   else _audit(ticket.id, opened)]
        uow.tickets.add_timeline_entries(entries)
        ticket.timeline = entries
        remember(uow.requests, cmd.request, answer, ticket)
        uow.commit()
        return ticket


def _customer(cmd: CreateTicket, phone: str, customer_id: str | None, uow: IntakeUnitOfWork,
              now: datetime) -> Customer:
    """The caller's record, found by phone; a new one the first time they call."""
    if customer_id is None:
        customer_id = f"C-{uuid.uuid4().hex}"
        uow.tickets.add_customer(Customer(customer_id, cmd.customer_name, phone, cmd.customer_address), now)
    return Customer(customer_id, cmd.customer_name, cmd.customer_phone, cmd.customer_address)


def _known(product, unit: Unit | None):
    """What the caller left out about a unit seen before: its purchase date and batch."""
    if unit is None:
        return product
    return replace(product, purchase_date=product.purchase_date or unit.purchase_date,
                   batch=product.batch or unit.batch)


def _remember_unit(uow: IntakeUnitOfWork, unit: Unit | None, ticket: Ticket, now: datetime) -> None:
    p = ticket.product
    fresh = Unit(p.serial, p.model, p.category, p.purchase_date, p.batch, ticket.customer.customer_id,
                 ticket.id, now)
    uow.tickets.save_unit(fresh, is_new=unit is None)


def _publish(event, ticket: Ticket, uow: IntakeUnitOfWork, events: EventWriter, now: datetime,
             change: StateChange | None = None) -> TimelineEntry:
    """Out through the outbox; its timeline entry carries the state change it announces."""
    envelope = events.envelope(event, subject=ticket.id, region=ticket.region, site=ticket.site, time=now)
    uow.emit(envelope)
    return _entry_for(envelope, ticket.id, change)


def _audit_line(change: StateChange | None) -> dict | None:
    """Who moved the ticket, from where to where, and why; the entry it sits on says when."""
    if change is None:
        return None
    return {"from": change.from_state, "to": change.to_state, "by": change.by, "why": change.why}


def _audit(ticket_id: str, change: StateChange) -> TimelineEntry:
    """A move no event announces (opened for diagnosis, resolved on the phone) stands on its own line."""
    return TimelineEntry(event_id=str(uuid.uuid4()), ticket_id=ticket_id, type=AUDIT, occurred_at=change.at,
                         source=change.by[:100], detail={}, change=_audit_line(change))


def _note(ticket_id: str, type_: str, by: str, at: datetime, detail: dict) -> TimelineEntry:
    return TimelineEntry(str(uuid.uuid4()), ticket_id, type_, at, by[:100], detail)


def _change(ticket_id: str, uow: IntakeUnitOfWork, rules: Rules, decide) -> Ticket:
    """Loads the ticket, lets ``decide`` move it (returning timeline entries), saves it if nobody else did."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        before = ticket.state
        entries = decide(ticket, rules.clock())
        if not uow.tickets.save(ticket, before):
            raise ConcurrentChange(ticket_id)
        uow.tickets.add_timeline_entries(entries)
        uow.commit()
        ticket.timeline = [*ticket.timeline, *entries]
        return ticket


def act(cmd: TicketAction, uow: IntakeUnitOfWork, rules: Rules, events: EventWriter) -> Ticket:
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        by = cmd.operator
        if cmd.action == "dispatch":
            change = ticket.dispatch(by, cmd.reason, now)
            return [_publish(TicketCreated(ticket), ticket, uow, events, now, change)]
        if cmd.action == "resolve_by_phone":
            if cmd.article_id is not None and uow.knowledge.get(cmd.article_id) is None:
                raise ArticleNotFound(cmd.article_id)
            resolved, closed = ticket.resolve_by_phone(by, cmd.reason, cmd.article_id, now)
            return [_audit(ticket.id, resolved),
                    _publish(TicketClosed(ticket, "resolved_by_phone", now), ticket, uow, events, now, closed)]
        if cmd.action == "accept_quote":
            change = ticket.accept_quote(by, now)
            return [_publish(QuoteAccepted(ticket, now), ticket, uow, events, now, change)]
        if cmd.action == "decline_quote":
            change = ticket.decline_quote(by, cmd.reason, now)
            return [_publish(TicketClosed(ticket, "declined_quote", now), ticket, uow, events, now, change)]
        if cmd.action == "cancel":
            change = ticket.cancel(by, cmd.reason, now)
            return [_publish(TicketCancelled(ticket, cmd.reason, now), ticket, uow, events, now, change)]
        raise ValueError(f"unknown action {cmd.action!r}")

    return _change(cmd.ticket_id, uow, rules, decide)


def give_quote(cmd: GiveQuote, uow: IntakeUnitOfWork, rules: Rules) -> Ticket:
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        ticket.give_quote(cmd.amount, cmd.valid_until, now)
        return [_note(ticket.id, "QuoteGiven", cmd.operator, now,
                      {"amount": f"{cmd.amount:.2f}", "valid_until": cmd.valid_until.isoformat()})]

    return _change(cmd.ticket_id, uow, rules, decide)


def record_callback(cmd: RecordCallback, uow: IntakeUnitOfWork, rules: Rules, events: EventWriter) -> Ticket:
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        change = ticket.record_callback(cmd.outcome, cmd.operator, rules.callback_attempts, now)
        entries = [_note(ticket.id, "CallbackAttempt", cmd.operator, now, {
            "attempt": ticket.callback_attempts, "outcome": cmd.outcome, "score": cmd.score,
            "remarks": cmd.remarks})]
        if change is not None:
            done = cmd.outcome == "done"
            entries.append(_publish(CallbackCompleted(ticket, cmd.outcome, cmd.score if done else None, cmd.remarks,
                                                      now), ticket, uow, events, now, change))
        return entries

    return _change(cmd.ticket_id, uow, rules, decide)


def close_ticket(cmd: CloseTicket, uow: IntakeUnitOfWork, rules: Rules, events: EventWriter) -> Ticket:
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        change = ticket.close(cmd.resolution, cmd.operator, cmd.reason, now)
        return [_publish(TicketClosed(ticket, cmd.resolution, now), ticket, uow, events, now, change)]

    return _change(cmd.ticket_id, uow, rules, decide)


def supply_proof(cmd: SupplyProof, uow: IntakeUnitOfWork, rules: Rules) -> Ticket:
    """Unknown until proof is supplied: with it, the verdict is decided again, as on the call."""
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        if ticket.state in ("completed", "callback_done", "closed", "cancelled"):
            raise IllegalTransition(ticket.state, "given a new warranty verdict",
                                    f"The work on this ticket is over (it is {ticket.state}).")
        ticket.product = replace(ticket.product, purchase_date=cmd.purchase_date,
                                 proof_of_purchase=cmd.proof_of_purchase)
        ticket.warranty = rules.warranty.decide(ticket.product.category, cmd.purchase_date, now.date(),
                                                cmd.proof_of_purchase, ticket.fault.conditions)
        return [_note(ticket.id, "WarrantyDecided", cmd.operator, now, {
            "status": ticket.warranty.status, "reason": ticket.warranty.reason,
            "expires_on": ticket.warranty.expires_on and ticket.warranty.expires_on.isoformat()})]

    return _change(cmd.ticket_id, uow, rules, decide)


def file_complaint(cmd: FileComplaint, uow: IntakeUnitOfWork, rules: Rules) -> Ticket:
    """A major complaint: the ticket goes to a handling group with its own deadline."""
    def decide(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
        if not ticket.escalate(cmd.group, cmd.deadline, cmd.reason, now):
            reason = (f"The ticket is already escalated to {ticket.escalation.group}." if ticket.escalation
                      else f"A ticket in state {ticket.state!r} is finished; it cannot be escalated.")
            raise IllegalTransition(ticket.state, "escalated", reason)
        return [_note(ticket.id, "Escalated", cmd.operator, now, {
            "group": cmd.group, "deadline": cmd.deadline.isoformat(), "reason": cmd.reason})]

    return _change(cmd.ticket_id, uow, rules, decide)


# -- reports of the other services ---------------------------------------------------------------------

def record_on_timeline(event: Envelope, uow: IntakeUnitOfWork) -> None:
    """Every event about a ticket lands on its timeline, even one that overtakes the ticket itself; one that
    moves the ticket along its service path moves it (forward only, so any arrival order converges)."""
    ticket_id = event.data["ticket_id"]
    ticket = uow.tickets.get(ticket_id, timeline=False)
    change = None
    if ticket is not None:
        before, reserved = ticket.state, ticket.parts_reserved
        change = ticket.on_report(event.type, event.source, event.time)
        if change is not None or ticket.parts_reserved != reserved:
            if not uow.tickets.save(ticket, before):
                raise ConcurrentChange(ticket_id)  # the delivery is retried and sees the new state
    uow.tickets.add_timeline_entry(_entry_for(event, ticket_id, change))


def escalate_on_breach(escalation_hours: int) -> Callable[[Envelope, IntakeUnitOfWork], None]:
    def handle(event: Envelope, uow: IntakeUnitOfWork) -> None:
        ticket_id = event.data["ticket_id"]
        uow.tickets.add_timeline_entry(_entry_for(event, ticket_id))
        ticket = uow.tickets.get(ticket_id, timeline=False)
        if ticket is None:
            return
        reason = f"SLA {event.data.get('clock', '')} clock breached".replace("  ", " ")
        if ticket.escalate("supervisor", event.time + timedelta(hours=escalation_hours), reason, event.time):
            uow.tickets.save(ticket, ticket.state)
            uow.tickets.add_timeline_entry(_note(ticket_id, "Escalated", event.source, event.time, {
                "group": "supervisor", "deadline": ticket.escalation.deadline.isoformat(), "reason": reason}))
    return handle


# A short, stable summary per event type for the timeline; the event itself stays on the wire.
_DETAIL_FIELDS = {
    "TicketCreated": ("ticket_no", "channel", "priority", "quote_required", "repeat_of"),
    "PartReserved": ("reservation_id", "lines"),
    "PartReservationFailed": ("reservation_id", "shortages"),
    "EngineerAssigned": ("work_order_id", "engineer_id"),
    "RepairCompleted": ("work_order_id", "engineer_id", "outcome", "completed_at", "warranty_status"),
    "SettlementPosted": ("settlement_id", "totals", "currency", "period"),
    "SlaBreached": ("work_order_id", "clock", "deadline", "breached_at"),
    "TicketCancelled": ("reason",),
    "TicketClosed": ("resolution",),
    "QuoteAccepted": ("amount",),
    "CallbackCompleted": ("outcome", "score", "remarks", "attempts"),
}


def timeline_detail(event: Envelope) -> dict:
    return {key: event.data[key] for key in _DETAIL_FIELDS.get(event.type, ()) if key in event.data}


def _entry_for(event: Envelope, ticket_id: str, change: StateChange | None = None) -> TimelineEntry:
    return TimelineEntry(
        event_id=event.id, ticket_id=ticket_id, type=event.type, occurred_at=event.time,
        source=event.source, detail=timeline_detail(event), change=_audit_line(change),
    )


TIMELINE_EVENTS = ("PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted", "SettlementPosted")


def event_handlers(escalation_hours: int = 4) -> dict:
    return {**{event_type: record_on_timeline for event_type in TIMELINE_EVENTS},
            "SlaBreached": escalate_on_breach(escalation_hours)}


EVENT_HANDLERS = event_handlers()
