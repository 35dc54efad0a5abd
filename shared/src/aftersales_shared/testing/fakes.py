"""In-memory stand-ins for unit tests of handlers and the bus (no database)."""
from __future__ import annotations

import threading

from ..envelope import Envelope
from ..idempotency import AbstractIdempotencyRepository, Answer, IdempotentRequest, earlier_answer
from ..unit_of_work import AbstractUnitOfWork


class InMemoryStore:
    """What an in-memory unit of work commits into: the inbox (seen ids), the outbox (emitted events) and
    the idempotency keys of requests answered."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.inbox: set[str] = set()
        self.outbox: list[Envelope] = []
        self.requests: dict[str, tuple[str, str, Answer | None]] = {}
        self.commits = 0
        self.rollbacks = 0


class InMemoryIdempotencyRepository(AbstractIdempotencyRepository):
    """Transactional like the table: a claimed key and its answer count only once committed."""

    def __init__(self, committed: dict[str, tuple[str, str, Answer | None]]):
        self.committed = committed
        self.staged: dict[str, tuple[str, str, Answer | None]] = {}

    def claim(self, request: IdempotentRequest, now) -> Answer | None:
        known = self.staged.get(request.key) or self.committed.get(request.key)
        if known is None:
            self.staged[request.key] = (request.scope, request.request_hash, None)
            return None
        scope, request_hash, answer = known
        return earlier_answer(request, scope, request_hash, answer)

    def record(self, request: IdempotentRequest, answer: Answer) -> None:
        self.staged[request.key] = (request.scope, request.request_hash, answer)

    def commit(self) -> None:
        self.committed.update(self.staged)
        self.staged = {}

    def rollback(self) -> None:
        self.staged = {}


class InMemoryUnitOfWork(AbstractUnitOfWork):
    """Transactional like the real one: a claim and emitted events only count once ``commit()`` ran.

    ``EventBus(lambda: InMemoryUnitOfWork(store), ...)``; share one ``InMemoryStore`` between them.
    """

    def __init__(self, store: InMemoryStore | None = None):
        super().__init__()
        self.store = store or InMemoryStore()
        self._claimed: set[str] = set()
        self.requests = InMemoryIdempotencyRepository(self.store.requests)

    def _begin(self) -> None:
        self._claimed = set()
        self.requests = InMemoryIdempotencyRepository(self.store.requests)

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
            self.requests.commit()
            self.store.commits += 1
        self._claimed = set()

    def rollback(self) -> None:
        if self._claimed or self.pending:
            self.store.rollbacks += 1
        self._claimed = set()
        self.pending = []
        self.requests.rollback()
