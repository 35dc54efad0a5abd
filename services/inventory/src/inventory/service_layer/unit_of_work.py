from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import (
    AbstractCatalogue, AbstractReservationRepository, AbstractStockRepository, SqlCatalogue,
    SqlReservationRepository, SqlStockRepository,
)
from ..adapters.custody import AbstractCustody, SqlCustody
from ..adapters.sites import AbstractSites, AbstractTransfers, SqlSites, SqlTransfers
from ..adapters.tables import idempotency_keys, inbox, outbox


class InventoryUnitOfWork(SqlAlchemyUnitOfWork):
    catalogue: AbstractCatalogue
    stock: AbstractStockRepository
    reservations: AbstractReservationRepository
    requests: AbstractIdempotencyRepository
    sites: AbstractSites
    transfers: AbstractTransfers
    custody: AbstractCustody

    def __init__(self, engine, *, read_only: bool = False):
        super().__init__(engine, outbox, inbox, read_only=read_only)

    def open_repositories(self, connection) -> None:
        self.catalogue = SqlCatalogue(connection)
        self.stock = SqlStockRepository(connection)
        self.reservations = SqlReservationRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
        self.sites = SqlSites(connection)
        self.transfers = SqlTransfers(connection)
        self.custody = SqlCustody(connection)
