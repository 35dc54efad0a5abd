"""Publishes a service's outbox rows in order, with publisher confirms collected per batch."""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from dataclasses import dataclass

import amqp
from kombu import Connection
from prometheus_client import Counter, Histogram
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.exc import DBAPIError

from .config import MessagingSettings
from .db import is_sqlite
from .envelope import CONTENT_TYPE, PERSISTENT
from .heartbeat import Heartbeat
from .timeutil import utcnow

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox rows published and confirmed by the broker", ["service"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Relay batches that failed and will be retried", ["service"])
BATCH_SECONDS = Histogram("outbox_batch_seconds", "Time to publish and confirm one batch", ["service"])

BROKER_ERRORS = (OSError, socket.timeout, amqp.exceptions.AMQPError, ConnectionError)


class PublishNotConfirmed(RuntimeError):
    pass


@dataclass
class _Row:
    position: int
    event_id: str
    event_type: str
    routing_key: str
    body: str


class ConfirmingPublisher:
    """One channel in confirm mode; publishes a batch, then waits once for the broker's acks."""

    def __init__(self, settings: MessagingSettings, app_id: str, confirm_timeout: float = 30.0):
        self.settings = settings
        self.app_id = app_id
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._channel = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked: set[int] = set()

    def open(self) -> None:
        if self._channel is not None:
            return
        connection = Connection(self.settings.amqp_url, heartbeat=self.settings.heartbeat, connect_timeout=5)
        connection.connect()
        channel = connection.channel()
        channel.exchange_declare(self.settings.exchange, "topic", durable=True, auto_delete=False)
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._connection, self._channel = connection, channel
        self._next_tag, self._unconfirmed, self._nacked = 1, set(), set()

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
                log.debug("ignoring error while closing broker connection", exc_info=True)

    def _settled(self, delivery_tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._unconfirmed if t <= delivery_tag} if multiple else {delivery_tag}
        self._unconfirmed -= settled
        return settled

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settled(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked |= self._settled(delivery_tag, multiple)

    def publish_batch(self, rows: list[_Row]) -> None:
        """Returns once the broker confirmed every row; raises if any was refused or not confirmed in time."""
        self.open()
        for row in rows:
            message = amqp.Message(
                row.body,
                content_type=CONTENT_TYPE,
                delivery_mode=PERSISTENT,
                message_id=row.event_id,
                type=row.event_type,
                app_id=self.app_id,
            )
            self._channel.basic_publish(message, exchange=self.settings.exchange, routing_key=row.routing_key)
            self._unconfirmed.add(self._next_tag)
            self._next_tag += 1
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._unconfirmed)} messages not confirmed within {self.confirm_timeout}s")
            try:
                self._connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                continue
        if self._nacked:
            count, self._nacked = len(self._nacked), set()
            raise PublishNotConfirmed(f"broker refused {count} messages of the batch")


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

    def relay_once(self) -> int:
        """Publishes one batch of pending rows; returns how many were confirmed and marked sent."""
        with self.engine.connect() as connection:
            with connection.begin():
                query = (
                    select(self.outbox.c.position, self.outbox.c.event_id, self.outbox.c.event_type,
                           self.outbox.c.routing_key, self.outbox.c.body)
                    .where(self.outbox.c.sent_at.is_(None))
                    .order_by(self.outbox.c.position)
                    .limit(self.settings.relay_batch_size)
                )
                if not is_sqlite(self.engine):
                    # Several relays may run; each takes rows nobody else holds, in order.
                    query = query.with_for_update(skip_locked=True)
                rows = [_Row(*row) for row in connection.execute(query)]
                if not rows:
                    return 0
                started = time.perf_counter()
                self.publisher.publish_batch(rows)
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
                self.stopping.wait(self.settings.relay_idle_seconds)
        self.publisher.close()
        log.info("%s relay stopped", self.service)

    def stop(self) -> None:
        self.stopping.set()
