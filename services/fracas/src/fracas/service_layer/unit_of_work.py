from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.repository import (
    AbstractFailureRepository, AbstractInstalledBaseRepository, AbstractTicketRepository,
    AbstractVersionRepository, SqlFailureRepository, SqlInstalledBaseRepository, SqlTicketRepository,
    SqlVersionRepository,
)
from ..adapters.analytics import AbstractAnalyticsRepository, SqlAnalyticsRepository
from ..adapters.problems import AbstractProblemRepository, SqlProblemRepository
from ..adapters.tables import idempotency_keys, inbox, outbox


class FracasUnitOfWork(SqlAlchemyUnitOfWork):
    tickets: AbstractTicketRepository
    failures: AbstractFailureRepository
    installed_base: AbstractInstalledBaseRepository
    requests: AbstractIdempotencyRepository
    versions: AbstractVersionRepository
    problems: AbstractProblemRepository
    analytics: AbstractAnalyticsRepository

    def __init__(self, engine):
        super().__init__(engine, outbox, inbox)

    def open_repositories(self, connection) -> None:
        self.tickets = SqlTicketRepository(connection)
        self.failures = SqlFailureRepository(connection)
        self.installed_base = SqlInstalledBaseRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
        self.versions = SqlVersionRepository(connection)
        self.problems = SqlProblemRepository(connection)
        self.analytics = SqlAnalyticsRepository(connection)
