"""Publishes a service's outbox rows in order, with publisher confirms collected per batch."""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

from pika.exceptions import AMQPError
from prometheus_client import Counter, Histogram
from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.exc import DBAPIError

from .config import MessagingSettings
from .db import is_sqlite
from .heartbeat import Heartbeat
from .publisher import ConfirmingPublisher, OutgoingMessage, PublishNotConfirmed
from .timeutil import utcnow

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox rows published and confirmed by the broker", ["service"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Relay batches that failed and will be retried", ["service"])
BATCH_SECONDS = Histogram("outbox_batch_seconds", "From handing a batch to the broker to its last confirm", ["service"])

IN_FLIGHT_BATCHES = 3  # sent but not yet confirmed; keeps the broker busy while the database works
RELAY_LOCK_KEY = 0x6F7574626F78  # "outbox"; each service has its own database, so one key serves all
BROKER_ERRORS = (OSError, socket.timeout, AMQPError)


@dataclass(frozen=True)
class _Batch:
    rows: list
    last_tag: int
    sent_at: float


class OutboxRelay:
    def __init__(self, service: str, engine: Engine, outbox: Table, settings: MessagingSettings,
                 publisher: ConfirmingPublisher | None = None, heartbeat: Heartbeat | None = None):
        self.service = service
        self.engine = engine
        self.outbox = outbox
        self.settings = settings
        self.publisher = publisher or ConfirmingPublisher(settings, app_id=service)
        self.heartbeat = heartbeat or Heartbeat.for_process(settings, service, "relay")
        self.stopping = threading.Event()
        self._leadership = None

    def _is_leader(self) -> bool:
        """One relay publishes at a time so order holds; others stand by until its session ends."""
        if is_sqlite(self.engine):
            return True  # a single writer anyway
        if self._leadership is None:
            connection = self.engine.connect()
            held = connection.execute(select(func.pg_try_advisory_lock(RELAY_LOCK_KEY))).scalar()
            connection.commit()
            if not held:
                connection.close()
                return False
            self._leadership = connection
        return True

    def release_leadership(self) -> None:
        connection, self._leadership = self._leadership, None
        if connection is not None:
            connection.invalidate()  # ends the session, which releases the lock even on a broken link

    def _pending(self):
        return self.outbox.c.sent_at.is_(None)

    def _fetch(self, after: int | None) -> list:
        query = (
            select(self.outbox.c.position, self.outbox.c.event_id, self.outbox.c.event_type,
                   self.outbox.c.routing_key, self.outbox.c.body)
            .where(self._pending())
            .order_by(self.outbox.c.position)
            .limit(self.settings.relay_batch_size)
        )
        if after is not None:
            query = query.where(self.outbox.c.position > after)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def _mark_sent(self, rows) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(self.outbox)
                .where(self.outbox.c.position.in_([row.position for row in rows]))
                .values(sent_at=utcnow())
            )
        PUBLISHED.labels(self.service).inc(len(rows))

    def relay_once(self, max_batches: int = 20) -> int:
        """Publishes pending rows, batch after batch; returns how many were confirmed and marked sent.

        Pipelined: while the broker confirms one batch, the next is read and sent, so database and broker
        round trips overlap. A row is marked sent only after its confirm; a crash in between republishes
        it, which consumers absorb as a duplicate.
        """
        with self.engine.connect() as connection:
            if connection.execute(select(self.outbox.c.position).where(self._pending()).limit(1)).first() is None:
                return 0
        if not self._is_leader():
            return 0
        confirmed = 0
        in_flight: deque[_Batch] = deque()
        for _ in range(max_batches):
            # Past what is in flight; a row that committed late below it is taken when the pipeline drains.
            rows = self._fetch(in_flight[-1].rows[-1].position if in_flight else None)
            if rows:
                in_flight.append(_Batch(rows, self._send(rows), time.perf_counter()))
            if in_flight and (not rows or len(in_flight) >= IN_FLIGHT_BATCHES):
                confirmed += self._finish(in_flight.popleft())
            if not in_flight:
                return confirmed
        while in_flight:
            confirmed += self._finish(in_flight.popleft())
        return confirmed

    def _send(self, rows) -> int:
        return self.publisher.send(
            [OutgoingMessage(row.event_id, row.event_type, row.routing_key, row.body) for row in rows]
        )

    def _finish(self, batch: "_Batch") -> int:
        self.publisher.wait_confirmed(batch.last_tag)
        BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - batch.sent_at)
        self._mark_sent(batch.rows)
        return len(batch.rows)

    def run(self) -> None:
        backoff = 0.5
        log.info("%s relay started", self.service)
        while not self.stopping.is_set():
            self.heartbeat.beat()
            try:
                published = self.relay_once()
                backoff = 0.5
            except (PublishNotConfirmed, DBAPIError, *BROKER_ERRORS) as exc:
                PUBLISH_FAILURES.labels(self.service).inc()
                self.publisher.close()
                if isinstance(exc, DBAPIError):
                    self.release_leadership()
                delay = backoff * (1 + random.random() / 2)
                log.warning("%s relay: cannot publish (%s); retrying in %.1fs", self.service, exc, delay)
                self.stopping.wait(delay)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)
                continue
            if published == 0:
                self.publisher.keep_alive()
                self.stopping.wait(self.settings.relay_idle_seconds)
        self.publisher.close()
        self.release_leadership()
        log.info("%s relay stopped", self.service)

    def stop(self) -> None:
        self.stopping.set()
