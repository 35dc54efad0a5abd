from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import (
    AbstractCalendarRepository, AbstractClockRepository, AbstractEngineerRepository, AbstractWorkOrderRepository,
    SqlCalendarRepository, SqlClockRepository, SqlEngineerRepository, SqlWorkOrderRepository,
)
from ..adapters.tables import idempotency_keys, inbox, outbox


class DispatchUnitOfWork(SqlAlchemyUnitOfWork):
    engineers: AbstractEngineerRepository
    work_orders: AbstractWorkOrderRepository
    clocks: AbstractClockRepository
    calendars: AbstractCalendarRepository
    requests: AbstractIdempotencyRepository

    def __init__(self, engine):
        super().__init__(engine, outbox, inbox)

    def open_repositories(self, connection) -> None:
        self.engineers = SqlEngineerRepository(connection)
        self.work_orders = SqlWorkOrderRepository(connection)
        self.clocks = SqlClockRepository(connection)
        self.calendars = SqlCalendarRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
