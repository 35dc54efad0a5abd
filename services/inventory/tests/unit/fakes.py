"""In-memory stand-ins for inventory's ports: same contracts, no database."""
from __future__ import annotations

import copy
from dataclasses import replace

from aftersales_shared.bus import EventBus
from aftersales_shared.testing.fakes import InMemoryIdempotencyRepository
from aftersales_shared.unit_of_work import AbstractUnitOfWork

from decimal import Decimal

from inventory.adapters.repository import AbstractCatalogue, AbstractReservationRepository, AbstractStockRepository
from inventory.adapters.custody import AbstractCustody
from inventory.adapters.sites import AbstractSites, AbstractTransfers
from inventory.domain.custody import AT_SUPPLIER
from inventory.domain.reports import Issue
from inventory.domain.reservations import BACKORDERED
from inventory.domain.sites import IN_TRANSIT, Site
from inventory.bootstrap import event_writer
from inventory.domain.stock import OPENING, ZERO_COST, Movement, StockLevel
from inventory.entrypoints.events import INCOMING_SCHEMAS
from inventory.service_layer.handlers import event_handlers


class FakeCatalogue(AbstractCatalogue):
    def __init__(self):
        self.parts = {}

    def get(self, part_no):
        return copy.deepcopy(self.parts.get(part_no))

    def for_update(self, part_no):
        return self.get(part_no)

    def add(self, part):
        if part.part_no in self.parts:
            return False
        self.parts[part.part_no] = copy.deepcopy(part)
        return True

    def save(self, part):
        self.parts[part.part_no] = copy.deepcopy(part)

    def unpublished(self, limit=500):
        return sorted(p for p, part in self.parts.items() if part.revision == 0)[:limit]


class FakeStockRepository(AbstractStockRepository):
    def __init__(self):
        self.levels: dict[tuple[str, str], StockLevel] = {}
        self.receipts = []
        self.movements = []

    def levels_for_update(self, site, part_nos, create_missing=False):
        result = {}
        for part_no in sorted(set(part_nos)):
            if create_missing:
                self.levels.setdefault((site, part_no), StockLevel(site, part_no))
            stored = self.levels.get((site, part_no))
            result[part_no] = replace(stored, movements=[]) if stored else StockLevel(site, part_no)
        return result

    def save(self, level, at):
        if (level.site, level.part_no) in self.levels:
            self.levels[level.site, level.part_no] = replace(level, movements=[])
            self.movements += [replace(m, at=at, id=len(self.movements) + i + 1)
                               for i, m in enumerate(level.movements)]
        level.movements.clear()

    def ledger(self, site, part_no):
        return [m for m in self.movements if (m.site, m.part_no) == (site, part_no)]

    def get(self, site, part_no):
        stored = self.levels.get((site, part_no))
        return replace(stored, movements=[]) if stored else None

    def at_site(self, site):
        return [replace(level, movements=[]) for (s, _), level in sorted(self.levels.items()) if s == site]

    def add_receipt(self, receipt):
        self.receipts.append(receipt)

    def available_elsewhere(self, sites, part_nos):
        found = {}
        for (site, part_no), level in sorted(self.levels.items()):
            if site in sites and part_no in part_nos and level.available > 0:
                found.setdefault(part_no, []).append(replace(level, movements=[]))
        return found

    def value_moved(self, site, since, until):
        moved = {}
        for m in self.movements:
            if m.site == site and m.at < until and (since is None or m.at >= since):
                moved[m.kind] = moved.get(m.kind, Decimal(0)) + m.value_change
        return moved

    def issues(self, site, since, kinds, part_no=None):
        return [Issue(m.part_no, -m.on_hand_change, m.at) for m in self.movements
                if m.site == site and m.at >= since and m.kind in kinds and part_no in (None, m.part_no)]

    def last_issued(self, site, kinds):
        last = {}
        for m in self.movements:
            if m.site == site and m.kind in kinds:
                last[m.part_no] = max(last.get(m.part_no, m.at), m.at)
        return last

    def value_at(self, site):
        return sum((level.value for (s, _), level in self.levels.items() if s == site), Decimal(0))


class FakeSites(AbstractSites):
    def __init__(self):
        self.sites = {}

    def get(self, site):
        return copy.deepcopy(self.sites.get(site))

    def learn(self, site, region, at):
        known = self.sites.setdefault(site, Site(site))
        known.region = known.region or region

    def put(self, site, at):
        new = site.site not in self.sites
        self.sites[site.site] = copy.deepcopy(site)
        return new

    def in_region(self, region):
        return sorted(name for name, site in self.sites.items() if site.region == region)

    def all(self):
        return [copy.deepcopy(site) for _, site in sorted(self.sites.items())]


class FakeTransfers(AbstractTransfers):
    def __init__(self):
        self.transfers = {}

    def add(self, transfer):
        self.transfers[transfer.id] = copy.deepcopy(transfer)

    def for_update(self, transfer_id):
        return copy.deepcopy(self.transfers.get(transfer_id))

    def save(self, transfer):
        self.transfers[transfer.id] = copy.deepcopy(transfer)

    def of_ticket(self, ticket_id):
        return [copy.deepcopy(t) for t in self.transfers.values() if t.ticket_id == ticket_id]

    def listed(self, site=None, status=None):
        return [copy.deepcopy(t) for t in self.transfers.values()
                if (site is None or site in (t.from_site, t.to_site)) and (status is None or t.status == status)]

    def inbound_value(self, site):
        return sum((t.value for t in self.transfers.values() if t.to_site == site and t.status == IN_TRANSIT),
                   Decimal(0))


class FakeCustody(AbstractCustody):
    def __init__(self):
        self.parts = {}
        self.follow_ups = {}

    def add(self, part):
        self.parts[part.id] = copy.deepcopy(part)

    def for_update(self, part_id):
        return copy.deepcopy(self.parts.get(part_id))

    def save(self, part):
        self.parts[part.id] = copy.deepcopy(part)

    def listed(self, site=None, status=None):
        return [copy.deepcopy(p) for p in self.parts.values()
                if (site is None or p.site == site) and (status is None or p.status == status)]

    def overdue(self, now, site=None):
        return sorted((copy.deepcopy(p) for p in self.parts.values()
                       if p.overdue(now) and (site is None or p.site == site)), key=lambda p: p.expected_by)

    def add_follow_ups(self, follow_ups):
        for f in follow_ups:
            self.follow_ups[f.faulty_part_id, f.day] = copy.deepcopy(f)

    def follow_ups_of(self, part_id):
        return sorted((copy.deepcopy(f) for (pid, _), f in self.follow_ups.items() if pid == part_id),
                      key=lambda f: f.day)

    def due_follow_ups(self, now):
        return sorted((copy.deepcopy(f) for f in self.follow_ups.values()
                       if f.fired_at is None and f.due_at <= now
                       and self.parts[f.faulty_part_id].status == AT_SUPPLIER), key=lambda f: f.due_at)

    def fire(self, follow_up, now):
        stored = self.follow_ups[follow_up.faulty_part_id, follow_up.day]
        if stored.fired_at is not None:
            return False
        stored.fired_at = now
        return True


class FakeReservationRepository(AbstractReservationRepository):
    def __init__(self):
        self.by_ticket = {}
        self.completions = {}
        self.signalled = {}

    def backordered(self, site, part_nos=None):
        waiting = [r for r in self.by_ticket.values() if r.site == site and r.status == BACKORDERED
                   and (part_nos is None or set(r.part_nos) & set(part_nos))]
        return [r.ticket_id for r in sorted(waiting, key=lambda r: (r.requested_at, r.id))]

    def sites_with_backorders(self):
        return sorted({r.site for r in self.by_ticket.values() if r.status == BACKORDERED})

    def add_signal(self, ticket_id, kind, at):
        self.signalled.setdefault(ticket_id, {}).setdefault(kind, at)

    def signals(self, ticket_id):
        return set(self.signalled.get(ticket_id, {}))

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
        self.catalogue = FakeCatalogue()
        self.stock = FakeStockRepository()
        self.reservations = FakeReservationRepository()
        self.sites = FakeSites()
        self.transfers = FakeTransfers()
        self.custody = FakeCustody()
        self.requests = InMemoryIdempotencyRepository({})
        self.seen: set[str] = set()
        self.outbox = []
        self._committed_state = self._state()

    def _state(self):
        return copy.deepcopy((self.stock.levels, self.stock.receipts, self.stock.movements, self.catalogue.parts,
                              self.reservations.by_ticket, self.reservations.completions,
                              self.reservations.signalled, self.sites.sites, self.transfers.transfers, self.seen,
                              self.custody.parts, self.custody.follow_ups, self.requests.committed))

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
        (self.stock.levels, self.stock.receipts, self.stock.movements, self.catalogue.parts,
         self.reservations.by_ticket, self.reservations.completions, self.reservations.signalled,
         self.sites.sites, self.transfers.transfers, self.seen,
         self.custody.parts, self.custody.follow_ups, self.requests.committed) = copy.deepcopy(self._committed_state)
        self.requests.rollback()
        self.pending = []

    def emitted(self, event_type: str) -> list:
        return [event for event in self.outbox if event.type == event_type]


def fake_bus(uow: FakeUnitOfWork) -> EventBus:
    return EventBus(lambda: uow, event_handlers(event_writer()), INCOMING_SCHEMAS)


def stock_up(uow: FakeUnitOfWork, site: str, on_hand: dict[str, int]) -> None:
    """Stock already on the shelf, with the opening movement that explains it."""
    for part_no, qty in on_hand.items():
        uow.stock.levels[site, part_no] = StockLevel(site, part_no, on_hand=qty)
        uow.stock.movements.append(Movement(site, part_no, OPENING, qty, 0, ZERO_COST, id=len(uow.stock.movements) + 1))
