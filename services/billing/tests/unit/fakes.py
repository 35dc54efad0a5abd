"""In-memory stand-ins for billing's ports, transactional like the real ones (a snapshot per unit of work)."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from billing.adapters.repository import (
    AbstractAwaitingRepository, AbstractFlagRepository, AbstractPeriodRepository, AbstractPriceRepository,
    AbstractSettlementRepository, AwaitingJob, Deposit,
)
from billing.domain.catalogue import PartPrice, is_newer
from billing.domain.compliance import ComplianceFlag
from billing.domain.settlement import Settlement


class DuplicateWorkOrder(Exception):
    """What the unique constraint on settlements.work_order_id does in the real database."""


class State:
    def __init__(self) -> None:
        self.settlements: dict[str, Settlement] = {}
        self.prices: dict[str, list[PartPrice]] = {}
        self.awaiting: dict[str, AwaitingJob] = {}
        self.flags: dict[str, ComplianceFlag] = {}
        self.closed: dict[str, datetime] = {}
        self.statistics: dict[str, datetime] = {}
        self.statements: dict[tuple[str, str], dict] = {}
        self.deposits: list[Deposit] = []


class FakeSettlementRepository(AbstractSettlementRepository):
    def __init__(self, state: State):
        self.state = state

    def add(self, settlement: Settlement) -> None:
        if self.for_work_order(settlement.work_order_id) is not None:
            raise DuplicateWorkOrder(settlement.work_order_id)
        self.state.settlements[settlement.settlement_id] = settlement

    def get(self, settlement_id):
        return self.state.settlements.get(settlement_id)

    def for_work_order(self, work_order_id):
        return next((s for s in self.state.settlements.values() if s.work_order_id == work_order_id), None)

    def for_ticket(self, ticket_id):
        return self._sorted(s for s in self.state.settlements.values() if s.ticket_id == ticket_id)

    def in_period(self, period, payee=None):
        return self._sorted(s for s in self.state.settlements.values()
                            if s.period == period and payee in (None, s.payee))

    def periods(self):
        return {s.period for s in self.state.settlements.values()}

    @staticmethod
    def _sorted(found):
        return sorted(found, key=lambda s: (s.posted_at, s.settlement_id))


class FakePriceRepository(AbstractPriceRepository):
    def __init__(self, state: State):
        self.state = state

    def record(self, price, received_at):
        history = self.state.prices.setdefault(price.part_no, [])
        if not is_newer(price, max((p.revision for p in history), default=None)):
            return False
        history.append(price)
        return True

    def history(self, part_no):
        return sorted(self.state.prices.get(part_no, []), key=lambda p: p.revision)

    def current(self):
        return [self.history(part_no)[-1] for part_no in sorted(self.state.prices)]


class FakeAwaitingRepository(AbstractAwaitingRepository):
    def __init__(self, state: State):
        self.state = state

    def hold(self, awaiting):
        self.state.awaiting[awaiting.job.work_order_id] = awaiting

    def get(self, work_order_id):
        return self.state.awaiting.get(work_order_id)

    def waiting_on(self, part_no):
        return [a for a in self.list() if part_no in a.waiting_for]

    def release(self, work_order_id):
        self.state.awaiting.pop(work_order_id, None)

    def list(self):
        return sorted(self.state.awaiting.values(), key=lambda a: (a.since, a.job.work_order_id))


class FakeFlagRepository(AbstractFlagRepository):
    def __init__(self, state: State):
        self.state = state

    def raise_flag(self, flag):
        if any(f.ticket_id == flag.ticket_id and f.kind == flag.kind for f in self.state.flags.values()):
            return False
        self.state.flags[flag.flag_id] = flag
        return True

    def for_ticket(self, ticket_id):
        return [f for f in self.list() if f.ticket_id == ticket_id]

    def repeats_of(self, ticket_id):
        return [f for f in self.list() if f.repeat_of == ticket_id]

    def penalised(self, flag_id, settlement_id):
        self.state.flags[flag_id] = replace(self.state.flags[flag_id], penalty_settlement_id=settlement_id)

    def list(self):
        return sorted(self.state.flags.values(), key=lambda f: (f.raised_at, f.flag_id))


class FakePeriodRepository(AbstractPeriodRepository):
    def __init__(self, state: State):
        self.state = state

    def closed(self):
        return set(self.state.closed)

    def close(self, period, at):
        return self.state.closed.setdefault(period, at) is at

    def statistics_issued(self):
        return set(self.state.statistics)

    def issue_statistics(self, period, at):
        return self.state.statistics.setdefault(period, at) is at

    def issued_dates(self, column):
        return dict(self.state.closed if column == "closed_at" else self.state.statistics)

    def save_statement(self, payee, period, body, at):
        self.state.statements[(payee, period)] = copy.deepcopy(body)

    def statement(self, payee, period):
        return copy.deepcopy(self.state.statements.get((payee, period)))

    def add_deposit(self, deposit):
        self.state.deposits.append(deposit)

    def deposits(self, period, payee=None):
        return [d for d in self.state.deposits if d.period == period and payee in (None, d.payee)]


class FakeUnitOfWork(InMemoryUnitOfWork):
    """One instance serves every ``with``: what it committed stays, like a database; a rollback restores
    the state as it was when the unit of work began."""

    def __init__(self, store: InMemoryStore | None = None):
        super().__init__(store)
        self.state = State()
        self._snapshot = None
        self._open(self.state)

    def __call__(self, read_only: bool = False):
        return self

    def _open(self, state: State) -> None:
        self.state = state
        self.settlements = FakeSettlementRepository(state)
        self.prices = FakePriceRepository(state)
        self.awaiting = FakeAwaitingRepository(state)
        self.flags = FakeFlagRepository(state)
        self.periods = FakePeriodRepository(state)

    def _begin(self) -> None:
        super()._begin()
        self._snapshot = copy.deepcopy(self.state)

    def _commit(self, events) -> None:
        super()._commit(events)
        self._snapshot = copy.deepcopy(self.state)

    def rollback(self) -> None:
        if self._snapshot is not None:
            self._open(self._snapshot)
            self._snapshot = copy.deepcopy(self._snapshot)
        super().rollback()
