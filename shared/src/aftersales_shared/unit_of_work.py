"""Unit of work: one transaction for a handler's state change, its inbox mark and its outbox events."""
from __future__ import annotations

import abc

from sqlalchemy import Connection, Engine, Table, insert, select

from .envelope import Envelope
from .timeutil import utcnow


class AbstractUnitOfWork(abc.ABC):
    """Collects the events a handler emits; they are stored only if the state change commits."""

    def __init__(self) -> None:
        self.pending: list[Envelope] = []
        self.committed: list[Envelope] = []

    def __enter__(self):
        self.pending = []
        self._begin()
        return self

    def __exit__(self, *exc_info):
        self.rollback()
        self._end()

    def emit(self, envelope: Envelope) -> None:
        self.pending.append(envelope)

    def commit(self) -> None:
        self._commit(self.pending)
        self.committed.extend(self.pending)
        self.pending = []

    @abc.abstractmethod
    def claim(self, envelope: Envelope) -> bool:
        """Record an incoming event; False when it was handled before (a duplicate to ignore)."""

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def _commit(self, events: list[Envelope]) -> None: ...

    def _begin(self) -> None:
        pass

    def _end(self) -> None:
        pass


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """Subclasses build their repositories on ``self.connection`` in ``open_repositories``."""

    def __init__(self, engine: Engine, outbox: Table, inbox: Table):
        super().__init__()
        self.engine = engine
        self.outbox = outbox
        self.inbox = inbox
        self.connection: Connection | None = None

    def open_repositories(self, connection: Connection) -> None:
        pass

    def _begin(self) -> None:
        self.connection = self.engine.connect()
        self.connection.begin()
        self.open_repositories(self.connection)

    def _end(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def claim(self, envelope: Envelope) -> bool:
        seen = self.connection.execute(
            select(self.inbox.c.event_id).where(self.inbox.c.event_id == envelope.id)
        ).first()
        if seen:
            return False
        self.connection.execute(
            insert(self.inbox).values(
                event_id=envelope.id, event_type=envelope.type, source=envelope.source, received_at=utcnow()
            )
        )
        return True

    def _commit(self, events: list[Envelope]) -> None:
        if events:
            self.connection.execute(insert(self.outbox), [outbox_row(event) for event in events])
        self.connection.commit()

    def rollback(self) -> None:
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()


def outbox_row(envelope: Envelope) -> dict:
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "routing_key": envelope.routing_key,
        "body": envelope.to_json(),
        "created_at": utcnow(),
    }
