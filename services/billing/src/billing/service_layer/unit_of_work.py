from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import AbstractSettlementRepository, SqlSettlementRepository
from ..adapters.tables import inbox, outbox


class BillingUnitOfWork(SqlAlchemyUnitOfWork):
    settlements: AbstractSettlementRepository

    def __init__(self, engine):
        super().__init__(engine, outbox, inbox)

    def open_repositories(self, connection) -> None:
        self.settlements = SqlSettlementRepository(connection)
