from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import (
    AbstractReservationRepository, AbstractStockRepository, SqlReservationRepository, SqlStockRepository,
)
from ..adapters.tables import idempotency_keys, inbox, outbox


class InventoryUnitOfWork(SqlAlchemyUnitOfWork):
    stock: AbstractStockRepository
    reservations: AbstractReservationRepository
    requests: AbstractIdempotencyRepository

    def __init__(self, engine):
        super().__init__(engine, outbox, inbox)

    def open_repositories(self, connection) -> None:
        self.stock = SqlStockRepository(connection)
        self.reservations = SqlReservationRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
