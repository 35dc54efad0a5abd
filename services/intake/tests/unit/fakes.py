"""In-memory stand-ins for intake's ports: transactional like the database, so rollbacks really undo."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from intake.adapters.repository import AbstractTicketRepository
from intake.domain.customers import Unit
from intake.domain.tickets import Customer, Ticket, TimelineEntry


class DuplicateKey(Exception):
    """What a unique constraint of the real schema would refuse."""


@dataclass
class _Rows:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    timeline: dict[str, TimelineEntry] = field(default_factory=dict)
    sequences: dict[tuple[str, date], int] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)

    def absorb(self, other: "_Rows") -> None:
        self.tickets.update(other.tickets)
        self.timeline.update(other.timeline)
        self.sequences.update(other.sequences)
        self.customers.update(other.customers)
        self.units.update(other.units)


class FakeStore(InMemoryStore):
    """Committed state: the inbox and outbox of the shared store plus intake's own tables."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = _Rows()
        self.articles: dict = {}

    @property
    def tickets(self) -> dict[str, Ticket]:
        return self.rows.tickets

    @property
    def timeline(self) -> dict[str, TimelineEntry]:
        return self.rows.timeline


class FakeTicketRepository(AbstractTicketRepository):
    """Reads see committed rows plus this transaction's; writes stay staged until the unit of work commits."""

    def __init__(self, store: FakeStore):
        self.store = store
        self.staged = _Rows()

    def add(self, ticket: Ticket) -> None:
        if ticket.id in self.store.rows.tickets or ticket.id in self.staged.tickets:
            raise DuplicateKey(f"ticket {ticket.id}")
        self.staged.tickets[ticket.id] = replace(ticket, timeline=[])

    def get(self, ticket_id: str, *, timeline: bool = True) -> Ticket | None:
        ticket = self.staged.tickets.get(ticket_id) or self.store.rows.tickets.get(ticket_id)
        if ticket is None:
            return None
        if not timeline:
            return replace(ticket, timeline=[])
        entries = {**self.store.rows.timeline, **self.staged.timeline}.values()
        timeline = sorted((e for e in entries if e.ticket_id == ticket_id), key=lambda e: e.occurred_at)
        return replace(ticket, timeline=timeline)

    def add_timeline_entry(self, entry: TimelineEntry) -> None:
        if entry.event_id in self.store.rows.timeline or entry.event_id in self.staged.timeline:
            raise DuplicateKey(f"timeline entry {entry.event_id}")
        self.staged.timeline[entry.event_id] = entry

    def save(self, ticket: Ticket, expected_state: str) -> bool:
        current = self.get(ticket.id)
        if current is None or current.state != expected_state:
            return False
        self.staged.tickets[ticket.id] = replace(ticket, timeline=[])
        return True

    def customer_by_phone(self, phone: str) -> Customer | None:
        return self.staged.customers.get(phone) or self.store.rows.customers.get(phone)

    def add_customer(self, customer: Customer, at) -> None:
        if self.customer_by_phone(customer.phone) is not None:
            raise DuplicateKey(f"customer {customer.phone}")
        self.staged.customers[customer.phone] = customer

    def unit(self, serial: str) -> Unit | None:
        found = self.staged.units.get(serial) or self.store.rows.units.get(serial)
        return replace(found) if found else None

    def save_unit(self, unit: Unit, is_new: bool) -> None:
        if is_new and self.unit(unit.serial) is not None:
            raise DuplicateKey(f"unit {unit.serial}")
        self.staged.units[unit.serial] = replace(unit)

    def next_sequence(self, site: str, day: date) -> int:
        key = (site, day)
        value = self.staged.sequences.get(key, self.store.rows.sequences.get(key, 0)) + 1
        self.staged.sequences[key] = value
        return value


class FakeKnowledgeBase:
    """Articles, read-only here: tests put them straight into the store."""

    def __init__(self, store: "FakeStore"):
        self.store = store

    def get(self, article_id: str):
        return self.store.articles.get(article_id)


class FakeUnitOfWork(InMemoryUnitOfWork):
    """``InMemoryUnitOfWork`` (an ``AbstractUnitOfWork``: inbox of seen ids, outbox) with intake's tickets."""

    store: FakeStore
    tickets: FakeTicketRepository

    def __init__(self, store: FakeStore):
        super().__init__(store)

    def _begin(self) -> None:
        super()._begin()
        self.tickets = FakeTicketRepository(self.store)
        self.knowledge = FakeKnowledgeBase(self.store)

    def _commit(self, events: list[Envelope]) -> None:
        with self.store.lock:
            self.store.rows.absorb(self.tickets.staged)
            super()._commit(events)
        self.tickets.staged = _Rows()

    def rollback(self) -> None:
        super().rollback()
        self.tickets.staged = _Rows()
