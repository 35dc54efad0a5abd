"""In-memory stand-ins for dispatch's ports: transactional like the database, so rollbacks really undo."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from dispatch.adapters.repository import (
    AbstractCalendarRepository, AbstractClockRepository, AbstractEngineerRepository, AbstractWorkOrderRepository,
)
from dispatch.domain.engineers import AVAILABLE, MAX_LOAD, Engineer
from dispatch.domain.sla import ALWAYS_OPEN, ClockState
from dispatch.domain.work_orders import PartsReport, Transition, WorkOrder


class DuplicateKey(Exception):
    """What a unique constraint of the real schema would refuse."""


@dataclass
class _Rows:
    engineers: dict[str, Engineer] = field(default_factory=dict)
    work_orders: dict[str, WorkOrder] = field(default_factory=dict)
    parts_reports: dict[str, PartsReport] = field(default_factory=dict)
    transitions: dict[str, tuple[Transition, ...]] = field(default_factory=dict)
    clocks: dict[tuple[str, str], dict] = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)
    facts: dict[str, dict] = field(default_factory=dict)
    fixes: dict[tuple[str, str], int] = field(default_factory=dict)

    TABLES = ("engineers", "work_orders", "parts_reports", "transitions", "clocks", "calendars", "facts", "fixes")

    def absorb(self, other: "_Rows") -> None:
        for table in self.TABLES:
            getattr(self, table).update(getattr(other, table))


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

    def get(self, engineer_id: str, for_update: bool = False) -> Engineer | None:
        return self._merged("engineers").get(engineer_id)

    def list(self, site: str | None = None) -> list[Engineer]:
        found = [e for e in self._merged("engineers").values() if site is None or e.site == site]
        return sorted(found, key=lambda e: e.engineer_id)

    def save(self, engineer: Engineer) -> None:
        stored = self._merged("engineers")[engineer.engineer_id]
        self.staged.engineers[engineer.engineer_id] = replace(engineer, load=stored.load)

    def candidates(self, skill, *, site=None, region=None, limit=50) -> list[Engineer]:
        found = [e for e in self._merged("engineers").values()
                 if skill in e.skills and (e.site == site if site is not None else e.region == region)
                 and e.status == AVAILABLE and e.load < MAX_LOAD]
        return sorted(found, key=lambda e: (e.load, e.engineer_id))[:limit]

    def on_shift_work(self, limit: int = 1000) -> list[Engineer]:
        return sorted((e for e in self._merged("engineers").values()
                       if e.status == AVAILABLE and e.load > 0 and e.shift_start is not None),
                      key=lambda e: e.engineer_id)[:limit]

    def take_slot(self, engineer_id: str) -> bool:
        engineer = self._merged("engineers")[engineer_id]
        if engineer.status != AVAILABLE or engineer.load >= MAX_LOAD:
            return False
        self.staged.engineers[engineer_id] = replace(engineer, load=engineer.load + 1)
        return True

    def change_load(self, engineer_id: str, delta: int) -> None:
        engineer = self._merged("engineers")[engineer_id]
        self.staged.engineers[engineer_id] = replace(engineer, load=max(engineer.load + delta, 0))

    def fixes(self, symptom_code, engineer_ids) -> dict[str, int]:
        fixes = self._merged("fixes")
        return {e: fixes[(e, symptom_code)] for e in engineer_ids if (e, symptom_code) in fixes}

    def record_fix(self, engineer_id: str, symptom_code: str) -> None:
        self.staged.fixes[(engineer_id, symptom_code)] = self._merged("fixes").get((engineer_id, symptom_code), 0) + 1


class FakeWorkOrderRepository(_Staged, AbstractWorkOrderRepository):
    def add(self, work_order: WorkOrder) -> None:
        existing = self._merged("work_orders").values()
        if work_order.id in self._merged("work_orders") or any(w.ticket_id == work_order.ticket_id for w in existing):
            raise DuplicateKey(f"work order for ticket {work_order.ticket_id}")
        self._stage(work_order)

    def get(self, work_order_id: str, for_update: bool = False) -> WorkOrder | None:
        stored = self._merged("work_orders").get(work_order_id)
        return None if stored is None else self._read(stored)

    def for_ticket(self, ticket_id: str, for_update: bool = False) -> WorkOrder | None:
        return next((w for w in self._all() if w.ticket_id == ticket_id), None)

    def list(self, *, ticket_id=None, site=None, status=None, engineer_id=None, limit=100) -> list[WorkOrder]:
        wanted = {"ticket_id": ticket_id, "site": site, "status": status, "engineer_id": engineer_id}
        found = [w for w in self._all() if all(v is None or getattr(w, k) == v for k, v in wanted.items())]
        return found[:limit]

    def needing_engineer(self, *, site=None, region=None, limit=200) -> list[WorkOrder]:
        return [w for w in self._all() if (w.site == site if site is not None else w.region == region)
                and w.needs_engineer][:limit]

    def open_of_engineer(self, engineer_id: str) -> list[WorkOrder]:
        return [w for w in self._all() if w.engineer_id == engineer_id and w.is_open]

    def open_at(self, site: str, limit: int = 1000) -> list[WorkOrder]:
        return [w for w in self._all() if w.site == site and w.is_open][:limit]

    def save(self, work_order: WorkOrder) -> bool:
        stored = self._merged("work_orders").get(work_order.id)
        if stored is None or stored.version != work_order.version:
            return False
        work_order.version += 1
        self._stage(work_order)
        return True

    def history(self, work_order_id: str) -> list[Transition]:
        return list(self._merged("transitions").get(work_order_id, ()))

    def parts_report(self, ticket_id: str) -> PartsReport | None:
        return self._merged("parts_reports").get(ticket_id)

    def put_parts_report(self, report: PartsReport) -> None:
        self.staged.parts_reports[report.ticket_id] = report

    def ticket_facts(self, ticket_id: str) -> dict:
        return dict(self._merged("facts").get(ticket_id, {}))

    def put_ticket_facts(self, ticket_id: str, **facts) -> None:
        self.staged.facts[ticket_id] = {**self.ticket_facts(ticket_id), **facts}

    def lock_site(self, site: str) -> None:
        """One thread at a time in unit tests: nothing to serialise."""

    def _stage(self, work_order: WorkOrder) -> None:
        self.staged.transitions[work_order.id] = (*self.history(work_order.id), *work_order.pending)
        work_order.pending.clear()
        # Parts reports live in their own table; the stored copy must not alias the caller's object.
        self.staged.work_orders[work_order.id] = replace(copy.deepcopy(work_order), parts=None, pending=[])

    def _read(self, stored: WorkOrder) -> WorkOrder:
        return replace(copy.deepcopy(stored), parts=self._merged("parts_reports").get(stored.ticket_id), pending=[])

    def _all(self) -> list[WorkOrder]:
        ordered = sorted(self._merged("work_orders").values(),
                         key=lambda w: (w.ticket_created_at, w.created_at, w.id))
        return [self._read(w) for w in ordered]


class FakeClockRepository(_Staged, AbstractClockRepository):
    def put(self, states: list[ClockState]) -> None:
        for state in states:
            key = (state.work_order_id, state.clock)
            breached = self._merged("clocks").get(key, {}).get("breached_at")
            self.staged.clocks[key] = {"state": state, "breached_at": breached}

    def due(self, now, limit=500) -> list[ClockState]:
        return [row["state"] for row in self._merged("clocks").values()
                if row["breached_at"] is None and row["state"].deadline is not None
                and row["state"].deadline <= now and row["state"].breached_by(now)][:limit]

    def mark_breached(self, work_order_id, clock, at) -> bool:
        row = self._merged("clocks").get((work_order_id, clock))
        if row is None or row["breached_at"] is not None:
            return False
        self.staged.clocks[(work_order_id, clock)] = {**row, "breached_at": at}
        return True

    def of_site(self, site, *, breached=None, limit=500) -> list[dict]:
        rows = [self._flat(r) for r in self._merged("clocks").values() if r["state"].site == site]
        if breached is not None:
            rows = [r for r in rows if (r["breached_at"] is not None) == breached]
        return rows[:limit]

    def of_work_order(self, work_order_id) -> list[dict]:
        return [self._flat(r) for (wo, _), r in sorted(self._merged("clocks").items()) if wo == work_order_id]

    @staticmethod
    def _flat(row) -> dict:
        state = row["state"]
        return {"work_order_id": state.work_order_id, "clock": state.clock, "ticket_id": state.ticket_id,
                "site": state.site, "region": state.region, "started_at": state.started_at,
                "deadline": state.deadline, "stopped_at": state.stopped_at, "paused": state.paused,
                "breached_at": row["breached_at"]}


class FakeCalendarRepository(_Staged, AbstractCalendarRepository):
    def get(self, site):
        return self._merged("calendars").get(site, ALWAYS_OPEN)

    def put(self, site, calendar, at) -> None:
        self.staged.calendars[site] = calendar


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
        self.clocks = FakeClockRepository(self.store, self.staged)
        self.calendars = FakeCalendarRepository(self.store, self.staged)

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
        for repository in (self.engineers, self.work_orders, self.clocks, self.calendars):
            repository.staged = self.staged
