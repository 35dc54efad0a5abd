"""In-memory stand-ins for billing's ports, transactional like the real ones."""
from __future__ import annotations

from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork

from billing.adapters.repository import AbstractSettlementRepository
from billing.domain.settlement import Settlement


class DuplicateWorkOrder(Exception):
    """What the unique constraint on settlements.work_order_id does in the real database."""


class FakeSettlementRepository(AbstractSettlementRepository):
    def __init__(self) -> None:
        self.saved: dict[str, Settlement] = {}
        self._staged: dict[str, Settlement] = {}

    def add(self, settlement: Settlement) -> None:
        if self.for_work_order(settlement.work_order_id) is not None:
            raise DuplicateWorkOrder(settlement.work_order_id)
        self._staged[settlement.settlement_id] = settlement

    def get(self, settlement_id: str) -> Settlement | None:
        return self._visible().get(settlement_id)

    def for_work_order(self, work_order_id: str) -> Settlement | None:
        return next((s for s in self._visible().values() if s.work_order_id == work_order_id), None)

    def for_ticket(self, ticket_id: str) -> list[Settlement]:
        found = [s for s in self._visible().values() if s.ticket_id == ticket_id]
        return sorted(found, key=lambda s: (s.posted_at, s.settlement_id))

    def commit(self) -> None:
        self.saved.update(self._staged)
        self._staged = {}

    def rollback(self) -> None:
        self._staged = {}

    def _visible(self) -> dict[str, Settlement]:
        return {**self.saved, **self._staged}


class FakeUnitOfWork(InMemoryUnitOfWork):
    """One instance serves every ``with``: what it committed stays, like a database."""

    def __init__(self, store: InMemoryStore | None = None):
        super().__init__(store)
        self.settlements = FakeSettlementRepository()

    def _commit(self, events) -> None:
        self.settlements.commit()
        super()._commit(events)

    def rollback(self) -> None:
        self.settlements.rollback()
        super().rollback()
