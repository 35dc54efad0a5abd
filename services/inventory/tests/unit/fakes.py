"""In-memory stand-ins for inventory's ports: same contracts, no database."""
from __future__ import annotations

import copy
from dataclasses import replace

from aftersales_shared.bus import EventBus
from aftersales_shared.testing.fakes import InMemoryIdempotencyRepository
from aftersales_shared.unit_of_work import AbstractUnitOfWork

from inventory.adapters.repository import AbstractReservationRepository, AbstractStockRepository
from inventory.bootstrap import event_writer
from inventory.domain.stock import StockLevel
from inventory.entrypoints.events import INCOMING_SCHEMAS
from inventory.service_layer.handlers import event_handlers


class FakeStockRepository(AbstractStockRepository):
    def __init__(self):
        self.levels: dict[tuple[str, str], StockLevel] = {}
        self.receipts = []

    def levels_for_update(self, site, part_nos, create_missing=False):
        result = {}
        for part_no in sorted(set(part_nos)):
            if create_missing:
                self.levels.setdefault((site, part_no), StockLevel(site, part_no))
            stored = self.levels.get((site, part_no))
            result[part_no] = replace(stored) if stored else StockLevel(site, part_no)
        return result

    def save(self, level):
        if (level.site, level.part_no) in self.levels:
            self.levels[level.site, level.part_no] = replace(level)

    def get(self, site, part_no):
        stored = self.levels.get((site, part_no))
        return replace(stored) if stored else None

    def at_site(self, site):
        return [replace(level) for (s, _), level in sorted(self.levels.items()) if s == site]

    def add_receipt(self, receipt):
        self.receipts.append(receipt)


class FakeReservationRepository(AbstractReservationRepository):
    def __init__(self):
        self.by_ticket = {}
        self.completions = {}

    def lock_ticket(self, ticket_id):
        pass

    def for_ticket(self, ticket_id):
        return copy.deepcopy(self.by_ticket.get(ticket_id))

    def add(self, reservation):
        if reservation.ticket_id in self.by_ticket:
            raise AssertionError(f"unique ticket_id violated: {reservation.ticket_id}")
        self.by_ticket[reservation.ticket_id] = copy.deepcopy(reservation)

    def save(self, reservation):
        self.by_ticket[reservation.ticket_id] = copy.deepcopy(reservation)

    def completion_of(self, ticket_id):
        return self.completions.get(ticket_id)

    def add_completion(self, completion):
        if completion.ticket_id in self.completions:
            raise AssertionError(f"unique ticket_id violated: {completion.ticket_id}")
        self.completions[completion.ticket_id] = completion


class FakeUnitOfWork(AbstractUnitOfWork):
    """Transactional like the SQL one: what a handler did is undone unless it committed."""

    def __init__(self):
        super().__init__()
        self.stock = FakeStockRepository()
        self.reservations = FakeReservationRepository()
        self.requests = InMemoryIdempotencyRepository({})
        self.seen: set[str] = set()
        self.outbox = []
        self._committed_state = self._state()

    def _state(self):
        return copy.deepcopy((self.stock.levels, self.stock.receipts, self.reservations.by_ticket,
                              self.reservations.completions, self.seen, self.requests.committed))

    def _begin(self):
        self._committed_state = self._state()

    def claim(self, envelope):
        if envelope.id in self.seen:
            return False
        self.seen.add(envelope.id)
        return True

    def _commit(self, events):
        self.outbox.extend(events)
        self.requests.commit()
        self._committed_state = self._state()

    def rollback(self):
        (self.stock.levels, self.stock.receipts, self.reservations.by_ticket,
         self.reservations.completions, self.seen, self.requests.committed) = copy.deepcopy(self._committed_state)
        self.requests.rollback()
        self.pending = []

    def emitted(self, event_type: str) -> list:
        return [event for event in self.outbox if event.type == event_type]


def fake_bus(uow: FakeUnitOfWork) -> EventBus:
    return EventBus(lambda: uow, event_handlers(event_writer()), INCOMING_SCHEMAS)


def stock_up(uow: FakeUnitOfWork, site: str, on_hand: dict[str, int]) -> None:
    for part_no, qty in on_hand.items():
        uow.stock.levels[site, part_no] = StockLevel(site, part_no, on_hand=qty)
