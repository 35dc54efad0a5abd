"""Publishes a service's outbox rows in order, with publisher confirms collected per batch.

Woken within milliseconds of a commit (see wakeup.py), with a slow poll as the safety net. Only the
leader (see leadership.py) publishes. Sent rows and old inbox ids are purged in small batches.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from types import SimpleNamespace

from prometheus_client import Counter, Histogram
from sqlalchemy import Connection, Engine, Table, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError

from .amqp import blocking_connection
from .config import MessagingSettings
from .db import READ_ONLY
from .heartbeat import Heartbeat
from .leadership import Leadership, leadership_for
from .publisher import ConfirmingPublisher, OutgoingMessage
from .timeutil import utcnow
from .topology import declare_core
from .wakeup import RelayWakeup

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox rows published and confirmed by the broker",
                    ["service", "type"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Relay passes that failed and will be retried",
                           ["service"])
BATCH_SECONDS = Histogram("outbox_batch_seconds", "From handing a batch to the broker to its last confirm", ["service"])
HOP_SECONDS = Histogram("outbox_hop_seconds", "From a row's commit to the broker's confirm of it", ["service"],
                        buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
PURGED = Counter("outbox_purged_rows_total", "Sent outbox rows and old inbox ids deleted", ["service", "table"])

IN_FLIGHT_BATCHES = 6  # sent but not yet confirmed; keeps the broker persisting while the database works
PURGE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class _Batch:
    rows: list
    last_tag: int
    sent_at: float


class OutboxRelay:
    def __init__(self, service: str, engine: Engine, outbox: Table, settings: MessagingSettings,
                 publisher: ConfirmingPublisher | None = None, heartbeat: Heartbeat | None = None,
                 inbox: Table | None = None, leadership: Leadership | None = None,
                 purge_every_seconds: float = PURGE_EVERY_SECONDS):
        self.service = service
        self.engine = engine
        self.outbox = outbox
        self.inbox = inbox
        self.settings = settings
        self.publisher = publisher or ConfirmingPublisher(settings, app_id=service)
        self.heartbeat = heartbeat or Heartbeat.for_process(settings, service, "relay")
        self.leadership = leadership or leadership_for(engine)
        self.wakeup = RelayWakeup(engine)
        self.stopping = threading.Event()
        self.ready = False
        self._topology_declared = False
        self.purge_every_seconds = purge_every_seconds
        self._next_purge = 0.0
        self.caught_up = False  # the last pass found fewer rows than a batch: nothing more was waiting

    # -- one pass -------------------------------------------------------------------------------------

    # Built once: the relay runs these several times a second, and building a statement costs more CPU
    # than running it.
    @cached_property
    def _statements(self) -> SimpleNamespace:
        c = self.outbox.c
        pending = c.sent_at.is_(None)
        batch = (select(c.position, c.event_id, c.event_type, c.routing_key, c.body, c.created_at)
                 .where(pending).order_by(c.position).limit(self.settings.relay_batch_size))
        return SimpleNamespace(
            first_batch=batch,
            batch_after=batch.where(c.position > bindparam("after")),
            mark_sent=update(self.outbox).where(c.position.in_(bindparam("positions", expanding=True)))
            .values(sent_at=bindparam("sent_at")),
        )

    def _fetch(self, connection: Connection, after: int | None) -> list:
        statements = self._statements
        if after is None:
            rows = connection.execute(statements.first_batch).all()
        else:
            rows = connection.execute(statements.batch_after, {"after": after}).all()
        connection.rollback()  # ends the read: the next one sees rows committed meanwhile
        return rows

    def _mark_sent(self, connection: Connection, rows) -> None:
        now = utcnow()
        # The one write of a pass; a failure ends the pass, and closing its connection rolls back.
        connection.execution_options(**{READ_ONLY: False})
        connection.execute(self._statements.mark_sent, {"positions": [row.position for row in rows], "sent_at": now})
        connection.commit()
        connection.execution_options(**{READ_ONLY: True})
        hop = HOP_SECONDS.labels(self.service)
        for row in rows:
            hop.observe(max((now - row.created_at).total_seconds(), 0.0))
            PUBLISHED.labels(self.service, row.event_type).inc()

    def _declare_topology(self) -> None:
        if self._topology_declared:
            return
        connection = blocking_connection(self.settings, f"{self.service}-relay-setup")
        try:
            declare_core(connection.channel(), self.settings)
        finally:
            connection.close()
        self._topology_declared = True

    def relay_once(self, max_batches: int = 20) -> int:
        """Publishes pending rows, batch after batch; returns how many were confirmed and marked sent.

        Pipelined: while the broker confirms one batch, the next is read and sent, so database and broker
        round trips overlap. A row is marked sent only after its confirm; a crash in between republishes
        it, which consumers absorb as a duplicate. Leadership is rechecked before every batch.
        """
        # One connection for the whole pass (each checkout would cost a ping round trip), holding no
        # transaction while it waits for the broker.
        self.caught_up = False
        with self.engine.connect() as connection:
            # Reads take no write lock on SQLite: looking for rows never holds up the service's writers.
            connection.execution_options(**{READ_ONLY: True})
            if connection.dialect.name == "postgresql":
                # Every statement of a pass stands alone (mark-sent is one UPDATE): no BEGIN and COMMIT
                # round trips around each. The pool restores the isolation level when it gets it back.
                connection.execution_options(isolation_level="AUTOCOMMIT")
            return self._pipeline(connection, max_batches)

    def _pipeline(self, connection: Connection, max_batches: int) -> int:
        confirmed = 0
        in_flight: deque[_Batch] = deque()
        for _ in range(max_batches):
            if not self.leadership.hold():
                break
            # Past what is in flight; a row that committed late below it is taken by the next pass,
            # which starts from the first pending row.
            rows = self._fetch(connection, in_flight[-1].rows[-1].position if in_flight else None)
            if rows:
                self._declare_topology()
                in_flight.append(_Batch(rows, self._send(rows), time.perf_counter()))
            if len(rows) < self.settings.relay_batch_size:
                # All there was. What commits from now on wakes the relay again (or the poll finds it).
                self.caught_up = True
                break
            if len(in_flight) >= IN_FLIGHT_BATCHES:
                confirmed += self._finish(connection, in_flight.popleft())
        while in_flight:
            confirmed += self._finish(connection, in_flight.popleft())
        return confirmed

    def _send(self, rows) -> int:
        return self.publisher.send(
            [OutgoingMessage(row.event_id, row.event_type, row.routing_key, row.body) for row in rows]
        )

    def _finish(self, connection: Connection, batch: "_Batch") -> int:
        self.publisher.wait_confirmed(batch.last_tag)
        BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - batch.sent_at)
        self._mark_sent(connection, batch.rows)
        return len(batch.rows)

    # -- housekeeping ---------------------------------------------------------------------------------

    def purge(self) -> int:
        """Deletes sent rows and inbox ids older than the retention window, a small batch per transaction."""
        cutoff = utcnow() - timedelta(days=self.settings.retention_days)
        deleted = self._purge_sent_rows(cutoff)
        if self.inbox is not None:
            deleted += self._purge_inbox(cutoff)
        return deleted

    def _purge_sent_rows(self, cutoff) -> int:
        # Rows leave in order, so the oldest positions expire first: look only at those, no index needed.
        total = 0
        while not self.stopping.is_set():
            oldest = select(self.outbox.c.position).order_by(self.outbox.c.position).limit(
                self.settings.purge_batch_size)
            with self.engine.begin() as connection:
                count = connection.execute(
                    delete(self.outbox).where(self.outbox.c.position.in_(oldest.scalar_subquery()),
                                              self.outbox.c.sent_at < cutoff)
                ).rowcount
            total += count
            PURGED.labels(self.service, "outbox").inc(count)
            if count == 0:
                break
        return total

    def _purge_inbox(self, cutoff) -> int:
        total = 0
        while not self.stopping.is_set():
            expired = (select(self.inbox.c.event_id).where(self.inbox.c.received_at < cutoff)
                       .limit(self.settings.purge_batch_size))
            with self.engine.begin() as connection:
                count = connection.execute(
                    delete(self.inbox).where(self.inbox.c.event_id.in_(expired.scalar_subquery()))
                ).rowcount
            total += count
            PURGED.labels(self.service, "inbox").inc(count)
            if count < self.settings.purge_batch_size:
                break
        return total

    def _purge_when_due(self) -> None:
        now = time.monotonic()
        if now >= self._next_purge:
            self._next_purge = now + self.purge_every_seconds
            self.purge()

    # -- the loop -------------------------------------------------------------------------------------

    def run(self) -> None:
        backoff = 0.5
        log.info("%s relay started", self.service)
        while not self.stopping.is_set():
            self.heartbeat.beat()
            try:
                if not self.leadership.hold():
                    self.ready = True  # standing by is this process's work while another one leads
                    self.stopping.wait(self.settings.relay_idle_seconds)
                    continue
                self.wakeup.open()
                published = self.relay_once()
                self._purge_when_due()
                self.ready = True
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - a relay never dies of one bad pass; it backs off and goes on
                self._after_failure(exc, backoff)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)
                continue
            if published == 0:
                self.publisher.keep_alive()
            if published == 0 or self.caught_up:
                self.wakeup.wait(min(self.settings.relay_idle_seconds, self.purge_every_seconds))
        self.publisher.close()
        self.wakeup.dispose()
        self.leadership.release()
        log.info("%s relay stopped", self.service)

    def _after_failure(self, exc: Exception, backoff: float) -> None:
        self.ready = False
        PUBLISH_FAILURES.labels(self.service).inc()
        self.publisher.close()
        self._topology_declared = False
        if isinstance(exc, DBAPIError):
            self.wakeup.close()
            self.leadership.release()
        delay = backoff * (1 + random.random() / 2)
        log.warning("%s relay: cannot publish (%s: %s); retrying in %.1fs", self.service, type(exc).__name__,
                    exc, delay, exc_info=not isinstance(exc, (DBAPIError, OSError)))
        self.stopping.wait(delay)

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.interrupt()
