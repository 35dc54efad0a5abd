"""Looking into a service's outbox/inbox tables from a test."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, Table, func, select

from ..db import make_engine
from ..envelope import Envelope
from ..tables import inbox_table, outbox_table
from ..unit_of_work import SqlAlchemyUnitOfWork


@dataclass
class OutboxDb:
    engine: Engine
    outbox: Table
    inbox: Table

    @classmethod
    def create(cls, url: str) -> "OutboxDb":
        """A new engine on ``url`` (via ``make_engine``) with just the outbox and inbox tables created."""
        engine = make_engine(url)
        metadata = MetaData()
        db = cls(engine, outbox_table(metadata), inbox_table(metadata))
        metadata.create_all(engine)
        return db

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, self.outbox, self.inbox)

    def add(self, *envelopes: Envelope) -> None:
        """Stores envelopes in the outbox the way a service does: through one unit of work."""
        with self.uow() as uow:
            for envelope in envelopes:
                uow.emit(envelope)
            uow.commit()

    def pending(self) -> int:
        """Outbox rows not yet marked sent."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.sent_at.is_(None))
            ).scalar_one()

    def rows(self) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(self.outbox).order_by(self.outbox.c.position)))

    def inbox_ids(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(self.inbox.c.event_id)).scalars())

    def dispose(self) -> None:
        self.engine.dispose()
