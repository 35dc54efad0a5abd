"""In-memory stand-ins for unit tests of handlers and the bus (no database)."""
from __future__ import annotations

import threading

from ..envelope import Envelope
from ..unit_of_work import AbstractUnitOfWork


class InMemoryStore:
    """What an in-memory unit of work commits into: the inbox (seen ids) and the outbox (emitted events)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.inbox: set[str] = set()
        self.outbox: list[Envelope] = []
        self.commits = 0
        self.rollbacks = 0


class InMemoryUnitOfWork(AbstractUnitOfWork):
    """Transactional like the real one: a claim and emitted events only count once ``commit()`` ran.

    ``EventBus(lambda: InMemoryUnitOfWork(store), ...)``; share one ``InMemoryStore`` between them.
    """

    def __init__(self, store: InMemoryStore | None = None):
        super().__init__()
        self.store = store or InMemoryStore()
        self._claimed: set[str] = set()

    def _begin(self) -> None:
        self._claimed = set()

    def claim(self, envelope: Envelope) -> bool:
        with self.store.lock:
            if envelope.id in self.store.inbox or envelope.id in self._claimed:
                return False
        self._claimed.add(envelope.id)
        return True

    def _commit(self, events: list[Envelope]) -> None:
        with self.store.lock:
            self.store.inbox |= self._claimed
            self.store.outbox.extend(events)
            self.store.commits += 1
        self._claimed = set()

    def rollback(self) -> None:
        if self._claimed or self.pending:
            self.store.rollbacks += 1
        self._claimed = set()
        self.pending = []
