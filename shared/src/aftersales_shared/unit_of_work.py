"""Unit of work: one transaction for a handler's state change, its inbox marks and its outbox events."""
from __future__ import annotations

import abc
from functools import cache
from typing import Sequence

from sqlalchemy import Connection, Engine, Table, insert, text

from .db import READ_ONLY, dialect_insert
from .envelope import Envelope
from .tables import CORRELATION_LENGTH
from .timeutil import utcnow
from .wakeup import notify_after_commit, notify_in_transaction


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
        try:
            self.rollback()
        finally:
            self.pending = []
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

    def claim_many(self, envelopes: Sequence[Envelope]) -> set[str]:
        """Record incoming events at once; returns the ids seen for the first time."""
        return {envelope.id for envelope in envelopes if self.claim(envelope)}

    def probe(self) -> bool:
        """True when the unit of work's own dependencies (its database) answer."""
        return True

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def _commit(self, events: list[Envelope]) -> None: ...

    def _begin(self) -> None:
        pass

    def _end(self) -> None:
        pass


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """Subclasses build their repositories on ``self.connection`` in ``open_repositories``.

    ``read_only=True`` is for queries: on SQLite it does not take the write lock that every writing
    transaction takes up front.
    """

    def __init__(self, engine: Engine, outbox: Table, inbox: Table, *, read_only: bool = False):
        super().__init__()
        self.engine = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
        self.outbox = outbox
        self.inbox = inbox
        self.connection: Connection | None = None

    def open_repositories(self, connection: Connection) -> None:
        pass

    def _begin(self) -> None:
        self.connection = self.engine.connect()
        try:
            self.connection.begin()
            self.open_repositories(self.connection)
        except BaseException:
            self._end()
            raise

    def _end(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()

    def claim(self, envelope: Envelope) -> bool:
        return envelope.id in self.claim_many([envelope])

    def claim_many(self, envelopes: Sequence[Envelope]) -> set[str]:
        rows = {}
        now = utcnow()
        for envelope in envelopes:
            rows.setdefault(envelope.id, {
                "event_id": envelope.id, "event_type": envelope.type, "source": envelope.source,
                "received_at": now, "occurred_at": envelope.time,
                "correlation_id": envelope.correlation_id[:CORRELATION_LENGTH],
                "causation_id": (envelope.causation_id or "")[:CORRELATION_LENGTH] or None,
            })
        if not rows:
            return set()
        # One statement (SQLAlchemy's "insertmanyvalues"), compiled once whatever the batch size.
        claim = _claim_statement(self.inbox, self.connection.dialect.name)
        return set(self.connection.execute(claim, list(rows.values())).scalars())

    def _commit(self, events: list[Envelope]) -> None:
        if events:
            self.connection.execute(_insert_statement(self.outbox), [outbox_row(event) for event in events])
            notify_in_transaction(self.connection)
        self.connection.commit()
        if events:
            notify_after_commit(self.engine)

    def rollback(self) -> None:
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()

    def probe(self) -> bool:
        try:
            with self.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the database cannot be used right now
            return False
        return True


# Statements built once per table (and dialect): building one costs more CPU than running it.
@cache
def _claim_statement(inbox: Table, dialect_name: str):
    return (dialect_insert(dialect_name, inbox)
            .on_conflict_do_nothing(index_elements=[inbox.c.event_id])
            .returning(inbox.c.event_id))


@cache
def _insert_statement(table: Table):
    return insert(table)


def outbox_row(envelope: Envelope) -> dict:
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "routing_key": envelope.routing_key,
        "body": envelope.to_json(),
        "created_at": utcnow(),
        "correlation_id": envelope.correlation_id[:CORRELATION_LENGTH],
    }
