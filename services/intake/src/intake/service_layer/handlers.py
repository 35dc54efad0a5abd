"""What intake does when a request arrives or another service reports on a ticket."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter

from ..domain.events import TicketCreated
from ..domain.policies import SlaPolicy, WarrantyTerms
from ..domain.tickets import Customer, Ticket, TimelineEntry, customer_id_for, ticket_number
from .commands import CreateTicket
from .unit_of_work import IntakeUnitOfWork


@dataclass(frozen=True)
class Rules:
    warranty: WarrantyTerms
    sla: SlaPolicy
    clock: Callable[[], datetime]


def create_ticket(cmd: CreateTicket, uow: IntakeUnitOfWork, rules: Rules, events: EventWriter,
                  answer: Callable[[Ticket], Answer] | None = None) -> Ticket | Replayed:
    """The new ticket; or, for a request sent again under its Idempotency-Key, the first answer to it (as
    ``answer`` wrote it down), with nothing created."""
    with uow:
        now = rules.clock()
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        ticket = Ticket(
            id=str(uuid.uuid4()),
            ticket_no=ticket_number(cmd.site, now.date(), uow.tickets.next_sequence(cmd.site, now.date())),
            channel=cmd.channel, service_type=cmd.service_type, priority=cmd.priority,
            site=cmd.site, region=cmd.region,
            customer=Customer(customer_id_for(cmd.customer_phone), cmd.customer_name, cmd.customer_phone,
                              cmd.customer_address),
            product=cmd.product, fault=cmd.fault, parts=list(cmd.parts),
            warranty=rules.warranty.decide(cmd.product.category, cmd.product.purchase_date, now.date()),
            sla=rules.sla.deadlines(cmd.priority, now),
            created_at=now, partner_id=cmd.partner_id,
        )
        uow.tickets.add(ticket)
        event = events.envelope(TicketCreated(ticket), subject=ticket.id, region=ticket.region, site=ticket.site,
                                time=now)
        entry = _entry_for(event, ticket.id)
        uow.tickets.add_timeline_entry(entry)
        uow.emit(event)
        ticket.timeline = [entry]
        remember(uow.requests, cmd.request, answer, ticket)
        uow.commit()
        return ticket


def record_on_timeline(event: Envelope, uow: IntakeUnitOfWork) -> None:
    """Every event about a ticket lands on its timeline, even one that overtakes the ticket itself."""
    uow.tickets.add_timeline_entry(_entry_for(event, event.data["ticket_id"]))


# A short, stable summary per event type for the timeline; the event itself stays on the wire.
_DETAIL_FIELDS = {
    "TicketCreated": ("ticket_no", "channel", "priority"),
    "PartReserved": ("reservation_id", "lines"),
    "PartReservationFailed": ("reservation_id", "shortages"),
    "EngineerAssigned": ("work_order_id", "engineer_id"),
    "RepairCompleted": ("work_order_id", "engineer_id", "outcome", "completed_at", "warranty_status"),
    "SettlementPosted": ("settlement_id", "totals", "currency", "period"),
}


def timeline_detail(event: Envelope) -> dict:
    return {key: event.data[key] for key in _DETAIL_FIELDS.get(event.type, ()) if key in event.data}


def _entry_for(event: Envelope, ticket_id: str) -> TimelineEntry:
    return TimelineEntry(
        event_id=event.id, ticket_id=ticket_id, type=event.type, occurred_at=event.time,
        source=event.source, detail=timeline_detail(event),
    )


TIMELINE_EVENTS = ("PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted", "SettlementPosted")
EVENT_HANDLERS = {event_type: record_on_timeline for event_type in TIMELINE_EVENTS}
