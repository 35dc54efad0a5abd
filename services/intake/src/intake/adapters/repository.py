"""Tickets and their timelines, in intake's database."""
from __future__ import annotations

import abc
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, insert, literal, select, update

from ..domain.lifecycle import Escalation, Quote
from ..domain.policies import Sla, Warranty
from ..domain.tickets import Customer, Fault, PartRequest, Product, Ticket, TimelineEntry
from ..domain.customers import Unit
from .tables import customers, ticket_sequences, tickets, timeline, units

# Built once: values travel as execution parameters, so a ticket's statements cost no SQL construction or
# cache-key generation per call. An UPDATE's WHERE parameters are prefixed "b_": an execution parameter named
# after a column would be SET.
_INSERT_TICKET = insert(tickets)
_TICKET_BY_ID = select(tickets).where(tickets.c.id == bindparam("id"))
_SAVE_TICKET = update(tickets).where(tickets.c.id == bindparam("b_id"), tickets.c.state == bindparam("b_state"))
_INSERT_TIMELINE = insert(timeline)
_TIMELINE_OF = select(timeline).where(timeline.c.ticket_id == bindparam("ticket_id")).order_by(timeline.c.occurred_at)
_CUSTOMER_BY_PHONE = select(customers).where(customers.c.phone == bindparam("phone"))
_INSERT_CUSTOMER = insert(customers)
_INSERT_UNIT = insert(units)
_UNIT_BY_SERIAL = select(units).where(units.c.serial == bindparam("serial"))
_SAVE_UNIT = update(units).where(units.c.serial == bindparam("b_serial"))
# One round trip for both on the creating POST's hot path.
_KNOWN = select(
    select(customers.c.id).where(customers.c.phone == bindparam("phone")).scalar_subquery().label("caller_id"),
    *units.c,
).select_from(select(literal(1).label("one")).subquery().outerjoin(units, units.c.serial == bindparam("serial")))
_BUMP_SEQUENCE = (
    update(ticket_sequences)
    .where(ticket_sequences.c.site == bindparam("b_site"), ticket_sequences.c.day == bindparam("b_day"))
    .values(last_value=ticket_sequences.c.last_value + 1)
    .returning(ticket_sequences.c.last_value)
)
_INSERT_SEQUENCE = insert(ticket_sequences)


class AbstractTicketRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, ticket: Ticket) -> None: ...

    @abc.abstractmethod
    def get(self, ticket_id: str, *, timeline: bool = True) -> Ticket | None:
        """The ticket; with ``timeline=False`` its timeline is left empty (an event handler needs only the
        lifecycle, and reading a long timeline for every event would cost more than the event)."""

    @abc.abstractmethod
    def add_timeline_entry(self, entry: TimelineEntry) -> None: ...

    @abc.abstractmethod
    def next_sequence(self, site: str, day: date) -> int: ...

    @abc.abstractmethod
    def save(self, ticket: Ticket, expected_state: str) -> bool:
        """Writes the ticket's lifecycle fields if it is still in ``expected_state``; False if it moved meanwhile."""

    def add_timeline_entries(self, entries: list[TimelineEntry]) -> None:
        for entry in entries:
            self.add_timeline_entry(entry)

    # -- customers and units --------------------------------------------------------------------------

    @abc.abstractmethod
    def customer_by_phone(self, phone: str) -> Customer | None: ...

    @abc.abstractmethod
    def add_customer(self, customer: Customer, at) -> None: ...

    @abc.abstractmethod
    def unit(self, serial: str) -> Unit | None: ...

    @abc.abstractmethod
    def save_unit(self, unit: Unit, is_new: bool) -> None: ...

    def known(self, phone: str, serial: str) -> tuple[str | None, Unit | None]:
        """The caller's customer id and the unit, if seen before."""
        customer = self.customer_by_phone(phone)
        return (customer.customer_id if customer else None), self.unit(serial)


class SqlTicketRepository(AbstractTicketRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, ticket: Ticket) -> None:
        self.connection.execute(_INSERT_TICKET, _row(ticket))

    def get(self, ticket_id: str, *, timeline: bool = True) -> Ticket | None:
        row = self.connection.execute(_TICKET_BY_ID, {"id": ticket_id}).mappings().first()
        if row is None:
            return None
        ticket = _ticket(row)
        if timeline:
            ticket.timeline = self.timeline_of(ticket_id)
        return ticket

    def timeline_of(self, ticket_id: str) -> list[TimelineEntry]:
        rows = self.connection.execute(_TIMELINE_OF, {"ticket_id": ticket_id}).mappings()
        return [
            TimelineEntry(r["event_id"], r["ticket_id"], r["event_type"], r["occurred_at"], r["source"], r["detail"],
                          r["change"])
            for r in rows
        ]

    def add_timeline_entry(self, entry: TimelineEntry) -> None:
        self.add_timeline_entries([entry])

    def add_timeline_entries(self, entries: list[TimelineEntry]) -> None:
        # One statement (executemany) for a ticket's first entries: the creating POST stays one trip shorter.
        self.connection.execute(_INSERT_TIMELINE, [{
            "event_id": e.event_id, "ticket_id": e.ticket_id, "event_type": e.type, "occurred_at": e.occurred_at,
            "source": e.source, "detail": e.detail, "change": e.change} for e in entries])

    def save(self, ticket: Ticket, expected_state: str) -> bool:
        result = self.connection.execute(
            _SAVE_TICKET, {"b_id": ticket.id, "b_state": expected_state, **_lifecycle(ticket)})
        return result.rowcount == 1

    def customer_by_phone(self, phone: str) -> Customer | None:
        row = self.connection.execute(_CUSTOMER_BY_PHONE, {"phone": phone}).mappings().first()
        return None if row is None else Customer(row["id"], row["name"], row["phone"], row["address"])

    def add_customer(self, customer: Customer, at) -> None:
        self.connection.execute(_INSERT_CUSTOMER, {
            "id": customer.customer_id, "name": customer.name, "phone": customer.phone, "address": customer.address,
            "created_at": at})

    def known(self, phone: str, serial: str) -> tuple[str | None, Unit | None]:
        row = self.connection.execute(_KNOWN, {"phone": phone, "serial": serial}).mappings().first()
        unit = None if row["serial"] is None else Unit(**{k: row[k] for k in Unit.__dataclass_fields__})
        return row["caller_id"], unit

    def unit(self, serial: str) -> Unit | None:
        row = self.connection.execute(_UNIT_BY_SERIAL, {"serial": serial}).mappings().first()
        return None if row is None else Unit(**row)

    def save_unit(self, unit: Unit, is_new: bool) -> None:
        values = {k: getattr(unit, k) for k in Unit.__dataclass_fields__}
        if is_new:
            self.connection.execute(_INSERT_UNIT, values)
        else:
            self.connection.execute(_SAVE_UNIT, {"b_serial": unit.serial, **values})

    def next_sequence(self, site: str, day: date) -> int:
        # Row-level update first: under concurrency the row lock serialises numbering per site and day.
        bumped = self.connection.execute(_BUMP_SEQUENCE, {"b_site": site, "b_day": day}).scalar()
        if bumped is not None:
            return bumped
        self.connection.execute(_INSERT_SEQUENCE, {"site": site, "day": day, "last_value": 1})
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
        "fault_kind": ticket.fault.kind, "fault_conditions": list(ticket.fault.conditions),
        "repeat_of": ticket.repeat_of, **_lifecycle(ticket),
    }


def _lifecycle(ticket: Ticket) -> dict:
    quote, escalation = ticket.quote, ticket.escalation
    return {
        # Proof supplied after the call changes the verdict.
        "purchase_date": ticket.product.purchase_date, "proof_of_purchase": ticket.product.proof_of_purchase,
        "warranty_status": ticket.warranty.status, "warranty_expires_on": ticket.warranty.expires_on,
        "warranty_reason": ticket.warranty.reason,
        "state": ticket.state, "quote_required": ticket.quote_required, "dispatched": ticket.dispatched,
        "parts_reserved": ticket.parts_reserved, "callback_attempts": ticket.callback_attempts,
        "resolution": ticket.resolution, "kb_article_id": ticket.kb_article_id,
        "quote_amount": quote and quote.amount, "quote_valid_until": quote and quote.valid_until,
        "quote_issued_at": quote and quote.issued_at, "quote_accepted_at": quote and quote.accepted_at,
        "escalation": escalation and {"group": escalation.group, "reason": escalation.reason,
                                      "since": escalation.since.isoformat()},
        "escalation_deadline": escalation and escalation.deadline,
    }


def _ticket(row) -> Ticket:
    return Ticket(
        id=row["id"], ticket_no=row["ticket_no"], channel=row["channel"], service_type=row["service_type"],
        priority=row["priority"], site=row["site"], region=row["region"],
        customer=Customer(row["customer_id"], row["customer_name"], row["customer_phone"], row["customer_address"]),
        product=Product(row["product_model"], row["product_serial"], row["product_category"],
                        row["purchase_date"], row["batch"], row["proof_of_purchase"]),
        fault=Fault(row["fault_description"], row["first_open_failure"], row["symptom_code"], row["fault_kind"],
                    tuple(row["fault_conditions"] or ())),
        parts=[PartRequest(p["part_no"], p["qty"]) for p in row["parts"]],
        warranty=Warranty(row["warranty_status"], row["warranty_expires_on"], row["warranty_reason"]),
        sla=Sla(row["respond_by"], row["resolve_by"]),
        created_at=row["created_at"], partner_id=row["partner_id"],
        state=row["state"], quote_required=row["quote_required"], repeat_of=row["repeat_of"],
        dispatched=row["dispatched"], parts_reserved=row["parts_reserved"],
        callback_attempts=row["callback_attempts"], resolution=row["resolution"], kb_article_id=row["kb_article_id"],
        quote=None if row["quote_amount"] is None else Quote(
            row["quote_amount"], row["quote_valid_until"], row["quote_issued_at"], row["quote_accepted_at"]),
        escalation=None if row["escalation"] is None else Escalation(
            row["escalation"]["group"], row["escalation_deadline"], row["escalation"]["reason"],
            datetime.fromisoformat(row["escalation"]["since"])),
    )
