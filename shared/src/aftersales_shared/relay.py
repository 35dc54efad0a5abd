"""Publishes a service's outbox rows in order, with publisher confirms collected per batch."""
from __future__ import annotations

import logging
import random
import socket
import threading
import time

from pika.exceptions import AMQPError
from prometheus_client import Counter, Histogram
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.exc import DBAPIError

from .config import MessagingSettings
from .db import is_sqlite
from .heartbeat import Heartbeat
from .publisher import ConfirmingPublisher, OutgoingMessage, PublishNotConfirmed
from .timeutil import utcnow

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox rows published and confirmed by the broker", ["service"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Relay batches that failed and will be retried", ["service"])
BATCH_SECONDS = Histogram("outbox_batch_seconds", "Time to publish and confirm one batch", ["service"])

BROKER_ERRORS = (OSError, socket.timeout, AMQPError)


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

    def _pending(self):
        return self.outbox.c.sent_at.is_(None)

    def relay_once(self) -> int:
        """Publishes one batch of pending rows; returns how many were confirmed and marked sent."""
        with self.engine.connect() as connection:
            if connection.execute(select(self.outbox.c.position).where(self._pending()).limit(1)).first() is None:
                return 0
        # Connect before taking row locks, so a broker outage never holds the database.
        self.publisher.open()
        with self.engine.connect() as connection, connection.begin():
            query = (
                select(self.outbox.c.position, self.outbox.c.event_id, self.outbox.c.event_type,
                       self.outbox.c.routing_key, self.outbox.c.body)
                .where(self._pending())
                .order_by(self.outbox.c.position)
                .limit(self.settings.relay_batch_size)
            )
            if not is_sqlite(self.engine):
                # Several relays may run; each takes rows nobody else holds, in order.
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query).all()
            if not rows:
                return 0
            started = time.perf_counter()
            self.publisher.publish_batch(
                [OutgoingMessage(row.event_id, row.event_type, row.routing_key, row.body) for row in rows]
            )
            BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - started)
            connection.execute(
                update(self.outbox)
                .where(self.outbox.c.position.in_([row.position for row in rows]))
                .values(sent_at=utcnow())
            )
        PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

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
                delay = backoff * (1 + random.random() / 2)
                log.warning("%s relay: cannot publish (%s); retrying in %.1fs", self.service, exc, delay)
                self.stopping.wait(delay)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)
                continue
            if published < self.settings.relay_batch_size:
                self.publisher.keep_alive()
                self.stopping.wait(self.settings.relay_idle_seconds)
        self.publisher.close()
        log.info("%s relay stopped", self.service)

    def stop(self) -> None:
        self.stopping.set()
