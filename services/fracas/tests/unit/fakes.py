"""In-memory stand-ins for FRACAS's repositories and unit of work; transactional like the real ones."""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Sequence

from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from fracas.adapters.repository import (
    AbstractFailureRepository, AbstractInstalledBaseRepository, AbstractTicketRepository, AbstractVersionRepository,
)
from fracas.adapters.analytics import AbstractAnalyticsRepository, FailedUnit
from fracas.adapters.problems import AbstractProblemRepository, ConcurrentChange
from fracas.domain.detection import BatchStats
from fracas.domain.problems import AuditEntry, Problem
from fracas.domain.failures import FailureCost, FailureRecord, TicketFacts
from fracas.domain.installed_base import InstalledUnit
from fracas.domain.reliability import FailureObservation


class FakeTicketRepository(AbstractTicketRepository):
    def __init__(self, rows: dict[str, TicketFacts]):
        self.rows = rows

    def add(self, ticket: TicketFacts) -> None:
        assert ticket.ticket_id not in self.rows, "primary key violated"
        self.rows[ticket.ticket_id] = ticket

    def get(self, ticket_id: str) -> TicketFacts | None:
        return self.rows.get(ticket_id)


class FakeInstalledBaseRepository(AbstractInstalledBaseRepository):
    def __init__(self, rows: dict[str, InstalledUnit]):
        self.rows = rows

    def register(self, units: Sequence[InstalledUnit], registered_at: datetime) -> None:
        self.rows.update((unit.serial, unit) for unit in units)

    def get(self, serial: str) -> InstalledUnit | None:
        return self.rows.get(serial)

    def purchase_dates(self, model: str) -> dict[str, date]:
        return {unit.serial: unit.purchase_date for unit in self.rows.values() if unit.model == model}


class FakeFailureRepository(AbstractFailureRepository):
    def __init__(self, rows: dict[str, FailureRecord], costs: dict[str, FailureCost],
                 tickets: FakeTicketRepository, installed_base: FakeInstalledBaseRepository):
        self.rows = rows
        self.costs = costs
        self.tickets = tickets
        self.installed_base = installed_base

    def add(self, record: FailureRecord, unit: InstalledUnit | None = None) -> None:
        assert record.work_order_id not in self.rows, "primary key violated"
        self.rows[record.work_order_id] = record

    def get(self, work_order_id: str) -> FailureRecord | None:
        record = self.rows.get(work_order_id)
        return None if record is None else self._joined(record)

    def for_ticket(self, ticket_id: str) -> list[FailureRecord]:
        records = [self._joined(r) for r in self.rows.values() if r.ticket_id == ticket_id]
        return sorted(records, key=lambda r: (r.completed_at, r.work_order_id))

    def _joined(self, record: FailureRecord) -> FailureRecord:
        ticket = self.tickets.get(record.ticket_id)
        return dataclasses.replace(
            record,
            cost=self.costs.get(record.work_order_id),
            first_open_failure=None if ticket is None else ticket.first_open_failure,
        )

    def add_cost(self, cost: FailureCost) -> None:
        assert cost.work_order_id not in self.costs, "primary key violated"
        self.costs[cost.work_order_id] = cost

    def cost_of(self, work_order_id: str) -> FailureCost | None:
        return self.costs.get(work_order_id)

    def for_serial(self, serial: str) -> list[FailureRecord]:
        records = [self._joined(r) for r in self.rows.values() if r.product.serial == serial]
        return sorted(records, key=lambda r: (r.completed_at, r.work_order_id))

    def set_repeat_of(self, work_order_id: str, ticket_id: str) -> None:
        self.rows[work_order_id] = dataclasses.replace(self.rows[work_order_id], repeat_of=ticket_id)

    def all_records(self, model: str | None = None) -> list[FailureRecord]:
        records = [self._joined(r) for r in self.rows.values() if model is None or r.product.model == model]
        return sorted(records, key=lambda r: (r.completed_at, r.work_order_id))

    def observations_for_model(self, model: str) -> list[FailureObservation]:
        observations = []
        for record in self.rows.values():
            unit = self.installed_base.get(record.product.serial)
            belongs = unit.model == model if unit is not None else record.product.model == model
            if record.counts_as_failure and belongs:
                observations.append(
                    FailureObservation(record.product.serial, record.product.purchase_date, record.failed_on)
                )
        return observations


class FakeVersionRepository(AbstractVersionRepository):
    def __init__(self, rows: dict[str, int]):
        self.rows = rows

    def bump(self, model: str) -> None:
        self.rows[model] = self.rows.get(model, 0) + 1

    def get(self, model: str) -> int:
        return self.rows.get(model, 0)


class FakeStore(InMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[str, TicketFacts] = {}
        self.failures: dict[str, FailureRecord] = {}
        self.costs: dict[str, FailureCost] = {}
        self.units: dict[str, InstalledUnit] = {}
        self.versions: dict[str, int] = {}
        self.problems: dict[str, Problem] = {}
        self.trails: dict[str, list[AuditEntry]] = {}


class FakeUnitOfWork(InMemoryUnitOfWork):
    """Repositories work on copies of the store; only ``commit()`` writes them back."""

    store: FakeStore

    def __init__(self, store: FakeStore | None = None):
        super().__init__(store or FakeStore())
        self._open_repositories()

    def _open_repositories(self) -> None:
        with self.store.lock:
            self.tickets = FakeTicketRepository(dict(self.store.tickets))
            self.installed_base = FakeInstalledBaseRepository(dict(self.store.units))
            self.versions = FakeVersionRepository(dict(self.store.versions))
            self.problems = FakeProblemRepository(dict(self.store.problems), dict(self.store.trails))
            self.failures = FakeFailureRepository(
                dict(self.store.failures), dict(self.store.costs), self.tickets, self.installed_base
            )
            self.analytics = FakeAnalyticsRepository(self.failures, self.installed_base)

    def _begin(self) -> None:
        super()._begin()
        self._open_repositories()

    def _commit(self, events) -> None:
        with self.store.lock:
            self.store.tickets = dict(self.tickets.rows)
            self.store.units = dict(self.installed_base.rows)
            self.store.failures = dict(self.failures.rows)
            self.store.costs = dict(self.failures.costs)
            self.store.versions = dict(self.versions.rows)
            self.store.problems = dict(self.problems.rows)
            self.store.trails = dict(self.problems.trails)
            super()._commit(events)

    def rollback(self) -> None:
        super().rollback()
        self._open_repositories()


class FakeProblemRepository(AbstractProblemRepository):
    def __init__(self, rows: dict[str, Problem], trails: dict[str, list[AuditEntry]]):
        self.rows = rows
        self.trails = trails

    def add(self, problem: Problem) -> None:
        assert problem.problem_id not in self.rows, "primary key violated"
        self.rows[problem.problem_id] = problem

    def get(self, problem_id: str) -> Problem | None:
        return self.rows.get(problem_id)

    def save(self, problem: Problem) -> None:
        if self.rows[problem.problem_id].version != problem.version - 1:
            raise ConcurrentChange(problem.problem_id)
        self.rows[problem.problem_id] = problem

    def list(self, status: str | None = None, model: str | None = None) -> list[Problem]:
        return sorted((p for p in self.rows.values() if status in (None, p.status) and model in (None, p.model)),
                      key=lambda p: (p.opened_at, p.problem_id))

    def audit(self, problem_id: str, entry: AuditEntry) -> None:
        self.trails[problem_id] = [*self.trails.get(problem_id, []), entry]

    def trail(self, problem_id: str) -> list[AuditEntry]:
        return list(self.trails.get(problem_id, []))


class FakeAnalyticsRepository(AbstractAnalyticsRepository):
    """The same answers as the SQL read model, computed from the fake repositories' rows."""

    def __init__(self, failures: FakeFailureRepository, installed_base: FakeInstalledBaseRepository):
        self.failures = failures
        self.installed_base = installed_base

    def _belonging(self, model: str):
        for record in self.failures.rows.values():
            unit = self.installed_base.get(record.product.serial)
            if (unit.model if unit is not None else record.product.model) == model:
                yield record, unit

    def units_by_purchase(self, model, as_of=None):
        counts = Counter(u.purchase_date for u in self.installed_base.rows.values()
                         if u.model == model and (as_of is None or u.purchase_date <= as_of))
        return list(counts.items())

    def failed_units(self, model, as_of, part_no=None):
        by_serial = defaultdict(list)
        for record, unit in self._belonging(model):
            if record.relevant and part_no in (None, record.failure.failed_part_no):
                by_serial[record.product.serial].append((record, unit))
        units = []
        for serial, seen in by_serial.items():
            unit = seen[0][1]
            reported = [r.product.purchase_date for r, _ in seen if r.product.purchase_date is not None]
            in_time = [r.failed_on for r, _ in seen if r.failed_on <= as_of]
            units.append(FailedUnit(serial, unit.purchase_date if unit else None, min(reported, default=None),
                                    min(in_time, default=None), min(r.failed_on for r, _ in seen), unit is not None))
        return units

    def pareto(self, by, model, since, until):
        counts = Counter(
            (r.failure.failed_part_no if by == "part" else r.failure.failure_mode) or "unknown"
            for r in self.failures.rows.values()
            if r.relevant and model in (None, r.product.model)
            and (since is None or r.failed_on >= since) and (until is None or r.failed_on <= until))
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def batches(self, model):
        units = Counter(u.batch or "unknown" for u in self.installed_base.rows.values() if u.model == model)
        groups = defaultdict(Counter)
        for record, unit in self._belonging(model):
            if record.chargeable:
                batch = (unit.batch if unit else None) or record.product.batch or "unknown"
                groups[batch][(record.failure.failed_part_no, record.failure.failure_mode)] += 1
        return {b: BatchStats(units.get(b, 0), sum(groups[b].values()), dict(groups[b])) for b in set(units) | set(groups)}

    def models(self):
        return sorted({r.product.model for r in self.failures.rows.values() if r.chargeable})

    def failure_days(self, model, part_no=None, failure_mode=None):
        return sorted((r.failed_on, unit.purchase_date if unit else r.product.purchase_date)
                      for r, unit in self._belonging(model)
                      if r.chargeable and part_no in (None, r.failure.failed_part_no)
                      and failure_mode in (None, r.failure.failure_mode))
