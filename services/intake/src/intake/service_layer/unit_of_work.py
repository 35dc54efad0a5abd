from aftersales_shared.idempotency import AbstractIdempotencyRepository, SqlIdempotencyRepository
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from ..adapters.knowledge import SqlKnowledgeBase
from ..adapters.partners import SqlPartnerRepository
from ..adapters.repository import AbstractTicketRepository, SqlTicketRepository
from ..adapters.secret_box import SecretBox
from ..adapters.tables import idempotency_keys, inbox, outbox


class IntakeUnitOfWork(SqlAlchemyUnitOfWork):
    tickets: AbstractTicketRepository
    requests: AbstractIdempotencyRepository
    partners: SqlPartnerRepository
    knowledge: SqlKnowledgeBase

    def __init__(self, engine, box: SecretBox | None = None, *, read_only: bool = False):
        super().__init__(engine, outbox, inbox, read_only=read_only)
        self.box = box

    def open_repositories(self, connection) -> None:
        self.tickets = SqlTicketRepository(connection)
        self.requests = SqlIdempotencyRepository(connection, idempotency_keys)
        self.knowledge = SqlKnowledgeBase(connection)
        if self.box is not None:
            self.partners = SqlPartnerRepository(connection, self.box)
