from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import (
    AbstractAwaitingRepository, AbstractFlagRepository, AbstractPeriodRepository, AbstractPriceRepository,
    AbstractSettlementRepository, SqlAwaitingRepository, SqlFlagRepository, SqlPeriodRepository,
    SqlPriceRepository, SqlSettlementRepository,
)
from ..adapters.tables import idempotency_keys, inbox, outbox


class BillingUnitOfWork(SqlAlchemyUnitOfWork):
    settlements: AbstractSettlementRepository
    prices: AbstractPriceRepository
    awaiting: AbstractAwaitingRepository
    flags: AbstractFlagRepository
    periods: AbstractPeriodRepository
    requests: AbstractIdempotencyRepository

    def __init__(self, engine, read_only: bool = False):
        super().__init__(engine, outbox, inbox, read_only=read_only)

    def open_repositories(self, connection) -> None:
        self.settlements = SqlSettlementRepository(connection)
        self.prices = SqlPriceRepository(connection)
        self.awaiting = SqlAwaitingRepository(connection)
        self.flags = SqlFlagRepository(connection)
        self.periods = SqlPeriodRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
