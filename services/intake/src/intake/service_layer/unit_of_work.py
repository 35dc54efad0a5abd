from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import AbstractTicketRepository, SqlTicketRepository
from ..adapters.tables import idempotency_keys, inbox, outbox


class IntakeUnitOfWork(SqlAlchemyUnitOfWork):
    tickets: AbstractTicketRepository
    requests: AbstractIdempotencyRepository

    def __init__(self, engine):
        super().__init__(engine, outbox, inbox)

    def open_repositories(self, connection) -> None:
        self.tickets = SqlTicketRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
