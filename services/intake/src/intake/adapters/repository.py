"""Tickets and their timelines, in intake's database."""
from __future__ import annotations

import abc
from datetime import date

from sqlalchemy import Connection, insert, select, update

from ..domain.policies import Sla, Warranty
from ..domain.tickets import Customer, Fault, PartRequest, Product, Ticket, TimelineEntry
from .tables import ticket_sequences, tickets, timeline


class AbstractTicketRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, ticket: Ticket) -> None: ...

    @abc.abstractmethod
    def get(self, ticket_id: str) -> Ticket | None: ...

    @abc.abstractmethod
    def add_timeline_entry(self, entry: TimelineEntry) -> None: ...

    @abc.abstractmethod
    def next_sequence(self, site: str, day: date) -> int: ...



class SqlTicketRepository(AbstractTicketRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, ticket: Ticket) -> None:
        self.connection.execute(insert(tickets).values(**_row(ticket)))

    def get(self, ticket_id: str) -> Ticket | None:
        row = self.connection.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        if row is None:
            return None
        ticket = _ticket(row)
        ticket.timeline = self.timeline_of(ticket_id)
        return ticket

    def timeline_of(self, ticket_id: str) -> list[TimelineEntry]:
        rows = self.connection.execute(
            select(timeline).where(timeline.c.ticket_id == ticket_id).order_by(timeline.c.occurred_at)
        ).mappings()
        return [
            TimelineEntry(r["event_id"], r["ticket_id"], r["event_type"], r["occurred_at"], r["source"], r["detail"])
            for r in rows
        ]

    def add_timeline_entry(self, entry: TimelineEntry) -> None:
        self.connection.execute(insert(timeline).values(
            event_id=entry.event_id, ticket_id=entry.ticket_id, event_type=entry.type,
            occurred_at=entry.occurred_at, source=entry.source, detail=entry.detail,
        ))

    def next_sequence(self, site: str, day: date) -> int:
        # Row-level update first: under concurrency the row lock serialises numbering per site and day.
        bumped = self.connection.execute(
            update(ticket_sequences)
            .where(ticket_sequences.c.site == site, ticket_sequences.c.day == day)
            .values(last_value=ticket_sequences.c.last_value + 1)
            .returning(ticket_sequences.c.last_value)
        ).scalar()
        if bumped is not None:
            return bumped
        self.connection.execute(insert(ticket_sequences).values(site=site, day=day, last_value=1))
        return 1



def _row(ticket: Ticket) -> dict:
    return {
        "id": ticket.id, "ticket_no": ticket.ticket_no, "channel": ticket.channel, "partner_id": ticket.partner_id,
        "service_type": ticket.service_type, "priority": ticket.priority, "site": ticket.site,
        "region": ticket.region, "customer_id": ticket.customer.customer_id, "customer_name": ticket.customer.name,
        "customer_phone": ticket.customer.phone, "customer_address": ticket.customer.address,
        "product_model": ticket.product.model, "product_serial": ticket.product.serial,
        "product_category": ticket.product.category, "purchase_date": ticket.product.purchase_date,
        "batch": ticket.product.batch, "symptom_code": ticket.fault.symptom_code,
        "fault_description": ticket.fault.description, "first_open_failure": ticket.fault.first_open_failure,
        "parts": [{"part_no": p.part_no, "qty": p.qty} for p in ticket.parts],
        "warranty_status": ticket.warranty.status, "warranty_expires_on": ticket.warranty.expires_on,
        "respond_by": ticket.sla.respond_by, "resolve_by": ticket.sla.resolve_by, "created_at": ticket.created_at,
    }


def _ticket(row) -> Ticket:
    return Ticket(
        id=row["id"], ticket_no=row["ticket_no"], channel=row["channel"], service_type=row["service_type"],
        priority=row["priority"], site=row["site"], region=row["region"],
        customer=Customer(row["customer_id"], row["customer_name"], row["customer_phone"], row["customer_address"]),
        product=Product(row["product_model"], row["product_serial"], row["product_category"],
                        row["purchase_date"], row["batch"]),
        fault=Fault(row["fault_description"], row["first_open_failure"], row["symptom_code"]),
        parts=[PartRequest(p["part_no"], p["qty"]) for p in row["parts"]],
        warranty=Warranty(row["warranty_status"], row["warranty_expires_on"]),
        sla=Sla(row["respond_by"], row["resolve_by"]),
        created_at=row["created_at"], partner_id=row["partner_id"],
    )
