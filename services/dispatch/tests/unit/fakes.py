"""In-memory stand-ins for dispatch's ports: transactional like the database, so rollbacks really undo."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from dispatch.adapters.repository import AbstractEngineerRepository, AbstractWorkOrderRepository
from dispatch.domain.engineers import Engineer
from dispatch.domain.work_orders import ASSIGNED, COMPLETED, UNASSIGNED, PartsReport, WorkOrder


class DuplicateKey(Exception):
    """What a unique constraint of the real schema would refuse."""


@dataclass
class _Rows:
    engineers: dict[str, Engineer] = field(default_factory=dict)
    work_orders: dict[str, WorkOrder] = field(default_factory=dict)
    parts_reports: dict[str, PartsReport] = field(default_factory=dict)

    def absorb(self, other: "_Rows") -> None:
        self.engineers.update(other.engineers)
        self.work_orders.update(other.work_orders)
        self.parts_reports.update(other.parts_reports)


class FakeStore(InMemoryStore):
    """Committed state: the inbox and outbox of the shared store plus dispatch's own tables."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = _Rows()

    def emitted(self, event_type: str) -> list[Envelope]:
        return [event for event in self.outbox if event.type == event_type]


class _Staged:
    """Reads see committed rows plus this transaction's; writes stay staged until the unit of work commits."""

    def __init__(self, store: FakeStore, staged: _Rows):
        self.store = store
        self.staged = staged

    def _merged(self, table: str) -> dict:
        return {**getattr(self.store.rows, table), **getattr(self.staged, table)}


class FakeEngineerRepository(_Staged, AbstractEngineerRepository):
    def add(self, engineer: Engineer) -> None:
        if engineer.engineer_id in self._merged("engineers"):
            raise DuplicateKey(f"engineer {engineer.engineer_id}")
        self.staged.engineers[engineer.engineer_id] = engineer

    def get(self, engineer_id: str) -> Engineer | None:
        return self._merged("engineers").get(engineer_id)

    def list(self, site: str | None = None) -> list[Engineer]:
        found = [e for e in self._merged("engineers").values() if site is None or e.site == site]
        return sorted(found, key=lambda e: e.engineer_id)


class FakeWorkOrderRepository(_Staged, AbstractWorkOrderRepository):
    def add(self, work_order: WorkOrder) -> None:
        existing = self._merged("work_orders").values()
        if work_order.id in self._merged("work_orders") or any(w.ticket_id == work_order.ticket_id for w in existing):
            raise DuplicateKey(f"work order for ticket {work_order.ticket_id}")
        self._stage(work_order)

    def get(self, work_order_id: str) -> WorkOrder | None:
        stored = self._merged("work_orders").get(work_order_id)
        return None if stored is None else self._read(stored)

    def for_ticket(self, ticket_id: str) -> WorkOrder | None:
        return next((w for w in self._all() if w.ticket_id == ticket_id), None)

    def list(self, *, ticket_id=None, site=None, status=None, engineer_id=None, limit=100) -> list[WorkOrder]:
        wanted = {"ticket_id": ticket_id, "site": site, "status": status, "engineer_id": engineer_id}
        found = [w for w in self._all() if all(v is None or getattr(w, k) == v for k, v in wanted.items())]
        return found[:limit]

    def unassigned_at(self, site: str) -> list[WorkOrder]:
        return [w for w in self._all() if w.site == site and w.status == UNASSIGNED]

    def open_loads(self, engineer_ids: list[str]) -> dict[str, int]:
        loads: dict[str, int] = {}
        for work_order in self._all():
            if work_order.status == ASSIGNED and work_order.engineer_id in engineer_ids:
                loads[work_order.engineer_id] = loads.get(work_order.engineer_id, 0) + 1
        return loads

    def save_assignment(self, work_order: WorkOrder) -> bool:
        return self._save_if(work_order, lambda stored: stored.status == UNASSIGNED)

    def save_completion(self, work_order: WorkOrder) -> bool:
        return self._save_if(work_order, lambda stored: stored.status != COMPLETED)

    def parts_report(self, ticket_id: str) -> PartsReport | None:
        return self._merged("parts_reports").get(ticket_id)

    def put_parts_report(self, report: PartsReport) -> None:
        self.staged.parts_reports[report.ticket_id] = report

    def lock_site(self, site: str) -> None:
        """One thread at a time in unit tests: nothing to serialise."""

    def _save_if(self, work_order: WorkOrder, condition) -> bool:
        stored = self._merged("work_orders").get(work_order.id)
        if stored is None or not condition(stored):
            return False
        self._stage(work_order)
        return True

    def _stage(self, work_order: WorkOrder) -> None:
        # Parts reports live in their own table; the stored copy must not alias the caller's object.
        self.staged.work_orders[work_order.id] = replace(copy.deepcopy(work_order), parts=None)

    def _read(self, stored: WorkOrder) -> WorkOrder:
        return replace(copy.deepcopy(stored), parts=self._merged("parts_reports").get(stored.ticket_id))

    def _all(self) -> list[WorkOrder]:
        ordered = sorted(self._merged("work_orders").values(),
                         key=lambda w: (w.ticket_created_at, w.created_at, w.id))
        return [self._read(w) for w in ordered]


class FakeUnitOfWork(InMemoryUnitOfWork):
    """``InMemoryUnitOfWork`` (an ``AbstractUnitOfWork``: inbox of seen ids, outbox) with dispatch's tables."""

    store: FakeStore
    engineers: FakeEngineerRepository
    work_orders: FakeWorkOrderRepository

    def __init__(self, store: FakeStore):
        super().__init__(store)
        self.staged = _Rows()

    def _begin(self) -> None:
        super()._begin()
        self.staged = _Rows()
        self.engineers = FakeEngineerRepository(self.store, self.staged)
        self.work_orders = FakeWorkOrderRepository(self.store, self.staged)

    def _commit(self, events: list[Envelope]) -> None:
        with self.store.lock:
            self.store.rows.absorb(self.staged)
            super()._commit(events)
        self._restage()

    def rollback(self) -> None:
        super().rollback()
        self._restage()

    def _restage(self) -> None:
        self.staged = _Rows()
        self.engineers.staged = self.staged
        self.work_orders.staged = self.staged
