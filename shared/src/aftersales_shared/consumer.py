"""Bus consumer: batches of deliveries in one transaction, acked after the commit; retries, dead letters.

The fast path takes whatever arrived within a few milliseconds (up to the batch size), claims the
envelope ids in the inbox with one statement and runs the handlers of the new ones in one database
transaction, then acks the batch with one ``multiple`` ack. Only when a batch fails are its messages
redone one transaction each, so a failing message is retried or parked alone while the rest commit.

Never lost, never hot-looping, never parked for the wrong reason:
- a message that cannot be read (not JSON, breaks the envelope or its data schema) is parked at once;
- a handler error counts an attempt: the message goes to a retry queue whose TTL sends it back, and
  after ``max_attempts`` to ``<queue>.dlq``;
- an unreachable database is no fault of the message: consumption pauses with backoff, no attempt is
  counted, and the same messages are handled once it is back;
- after a restart the messages redelivered (those the last process held when it died) are taken one
  at a time, so a message that kills the process is the only one the broker counts towards its
  delivery limit and parks.
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass

import pika
import pika.exceptions
from prometheus_client import Counter, Gauge, Histogram

from .amqp import BROKER_ERRORS, blocking_connection
from .bus import EventBus
from .config import MessagingSettings
from .db import is_transient
from .envelope import Envelope, InvalidMessage, parse_envelope
from .heartbeat import Heartbeat
from .logs import correlated
from .timeutil import to_rfc3339, utcnow
from .topology import Topology

log = logging.getLogger(__name__)

CONSUMED = Counter("events_consumed_total", "Messages taken off a service's queue, by type and what became of them",
                   ["service", "type", "outcome"])
BATCH_SIZE = Histogram("consumer_batch_size", "Messages committed together in one transaction", ["service"],
                       buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000))
PAUSED = Gauge("consumer_paused", "1 while consumption waits for an unreachable database", ["service"])

ATTEMPTS_HEADER = "x-attempts"
ERROR_HEADER = "x-error"
MAX_ERROR_LENGTH = 4000
_BROKER_HEADERS = ("x-death", "x-delivery-count", "x-first-death-exchange", "x-first-death-queue",
                   "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")
_QUICK_RETRIES = 3  # a deadlock or serialization failure is retried at once this often before it counts


class _Stopping(Exception):
    pass


@dataclass
class Delivery:
    tag: int
    routing_key: str
    redelivered: bool
    properties: pika.BasicProperties
    body: bytes

    @property
    def headers(self) -> dict:
        return self.properties.headers or {}

    @property
    def type(self) -> str:
        return self.properties.type or "unknown"


def attempts_so_far(message) -> int:
    try:
        return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class EventConsumer:
    def __init__(self, bus: EventBus, topology: Topology, settings: MessagingSettings,
                 heartbeat: Heartbeat | None = None):
        self.bus = bus
        self.topology = topology
        self.settings = settings
        self.heartbeat = heartbeat or Heartbeat.for_process(settings, topology.service, "consumer")
        self.should_stop = False
        self.ready = False
        self.connection: pika.BlockingConnection | None = None
        self.channel = None
        self._consumer_tag: str | None = None
        self._buffer: list[Delivery] = []
        self._cautious = True

    # -- the loop -----------------------------------------------------------------------------------

    def run(self, safety_interval: float = 1.0) -> None:
        """Consumes until ``should_stop``; reconnects with backoff whenever the broker goes away."""
        backoff = 0.5
        while not self.should_stop:
            try:
                self._connect()
                backoff = 0.5
                self._consume(safety_interval)
            except _Stopping:
                break
            except BROKER_ERRORS as exc:
                self.ready = False
                log.warning("%s consumer: broker unreachable (%s); retrying in %.1fs", self.topology.service,
                            exc, backoff)
                self.close()
                self._sleep(backoff)
                backoff = min(backoff * 2, self.settings.dependency_max_backoff_seconds)
        self.close()

    def close(self) -> None:
        self.ready = False
        self._buffer = []
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()  # the broker requeues whatever was not acked
            except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
                log.debug("ignoring error while closing consumer connection", exc_info=True)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.should_stop and time.monotonic() < deadline:
            time.sleep(min(0.1, deadline - time.monotonic()))

    def _connect(self) -> None:
        self.connection = blocking_connection(self.settings, f"{self.topology.service}-consumer")
        channel = self.connection.channel()
        self.topology.declare(channel)
        channel.confirm_delivery()  # a retry or dead letter is on the broker before its original is acked
        self.channel = channel
        self._buffer = []
        self._subscribe(prefetch=1)
        self._cautious = True
        self.ready = True
        log.info("%s consumer ready on %s", self.topology.service, self.topology.queue_name)

    def _subscribe(self, prefetch: int) -> None:
        self.channel.basic_qos(prefetch_count=prefetch)
        self._consumer_tag = self.channel.basic_consume(self.topology.queue_name, self._on_delivery)

    def _on_delivery(self, _channel, method, properties, body) -> None:
        self._buffer.append(Delivery(method.delivery_tag, method.routing_key, method.redelivered, properties, body))

    def _leave_cautious_mode(self) -> None:
        """Full prefetch once the messages held by a previous process are through."""
        self._cautious = False
        # Deliveries pika has not handed over yet are requeued; those in the buffer stay ours to ack.
        self.channel.basic_cancel(self._consumer_tag)
        self._subscribe(prefetch=self.settings.consumer_prefetch)

    def _consume(self, safety_interval: float) -> None:
        while not self.should_stop:
            self.heartbeat.beat()
            if not self._buffer:
                self.connection.process_data_events(time_limit=safety_interval)
                if not self._buffer:
                    if self._cautious:
                        self._leave_cautious_mode()
                    continue
            if self._cautious:
                delivery = self._buffer.pop(0)
                self._handle_alone_and_ack(delivery)
                if not delivery.redelivered:
                    self._leave_cautious_mode()
                continue
            self._fill_batch()
            size = self.settings.consumer_batch_size
            batch, self._buffer = self._buffer[:size], self._buffer[size:]
            self._handle_batch(batch)

    def _fill_batch(self) -> None:
        """Waits a few milliseconds for more, as long as more keep coming."""
        wait = self.settings.consumer_batch_wait_ms / 1000
        deadline = time.monotonic() + 10 * wait
        while len(self._buffer) < self.settings.consumer_batch_size and time.monotonic() < deadline:
            before = len(self._buffer)
            self.connection.process_data_events(time_limit=wait)
            if len(self._buffer) == before:
                return

    # -- handling -----------------------------------------------------------------------------------

    def _handle_batch(self, batch: list[Delivery]) -> None:
        readable = []
        for delivery in batch:
            event = self._read(delivery)
            if event is not None:
                readable.append((delivery, event))
        if len(readable) == 1:
            self._handle_alone(*readable[0])
        elif readable:
            try:
                handled = self.bus.handle_many([event for _, event in readable])
            except Exception as exc:  # noqa: BLE001 - isolate the culprit below
                log.info("%s: a batch of %d failed (%s); handling its messages one by one",
                         self.topology.queue_name, len(readable), _describe(exc))
                for delivery, event in readable:
                    self._handle_alone(delivery, event)
            else:
                BATCH_SIZE.labels(self.topology.service).observe(len(readable))
                for (delivery, event), new in zip(readable, handled):
                    self._count(event.type, "handled" if new else "duplicate")
        self.channel.basic_ack(batch[-1].tag, multiple=True)

    def _handle_alone_and_ack(self, delivery: Delivery) -> None:
        event = self._read(delivery)
        if event is not None:
            self._handle_alone(delivery, event)
        self.channel.basic_ack(delivery.tag)

    def _read(self, delivery: Delivery) -> Envelope | None:
        """The validated envelope, or None when the message was parked as unprocessable."""
        try:
            return self.bus.validate(parse_envelope(delivery.body))
        except InvalidMessage as exc:
            log.error("%s: unprocessable message parked: %s", self.topology.queue_name, exc)
            self.dead_letter(delivery, f"InvalidMessage: {exc}", attempts_so_far(delivery) + 1)
            self._count(delivery.type, "dead_lettered")
            return None

    def _handle_alone(self, delivery: Delivery, event: Envelope) -> None:
        with correlated(event.correlation_id):
            self._handle_alone_correlated(delivery, event)

    def _handle_alone_correlated(self, delivery: Delivery, event: Envelope) -> None:
        quick_retries = 0
        while True:
            try:
                new = self.bus.handle_many([event])[0]
            except Exception as exc:  # noqa: BLE001 - classified below
                if not self.bus.dependencies_ok():
                    self._wait_for_dependencies(exc)
                    continue
                if is_transient(exc) and quick_retries < _QUICK_RETRIES:
                    quick_retries += 1
                    continue
                self._fail(delivery, event, exc)
                return
            self._count(event.type, "handled" if new else "duplicate")
            return

    def _fail(self, delivery: Delivery, event: Envelope, exc: Exception) -> None:
        attempts = attempts_so_far(delivery) + 1
        error = _describe(exc)
        if attempts >= self.settings.max_attempts:
            log.error("%s: %s %s failed %d times, parked: %s", self.topology.queue_name, event.type, event.id,
                      attempts, error)
            self.dead_letter(delivery, error, attempts)
            self._count(event.type, "dead_lettered")
        else:
            log.warning("%s: %s %s attempt %d failed, retrying: %s", self.topology.queue_name, event.type, event.id,
                        attempts, error)
            self.retry(delivery, error, attempts)
            self._count(event.type, "retried")

    def _wait_for_dependencies(self, exc: Exception) -> None:
        """Holds the messages (unacked, attempts untouched) until the database answers again."""
        self.ready = False
        PAUSED.labels(self.topology.service).set(1)
        log.warning("%s consumer: database unreachable (%s); pausing", self.topology.service, _describe(exc))
        delay = 0.5
        try:
            while not self.should_stop:
                self.connection.sleep(delay)  # keeps the broker connection alive meanwhile
                self.heartbeat.beat()
                if self.bus.dependencies_ok():
                    log.info("%s consumer: database is back; resuming", self.topology.service)
                    self.ready = True
                    return
                delay = min(delay * 2, self.settings.dependency_max_backoff_seconds)
            raise _Stopping()
        finally:
            PAUSED.labels(self.topology.service).set(0)

    def _count(self, event_type: str, outcome: str) -> None:
        CONSUMED.labels(self.topology.service, event_type, outcome).inc()

    # -- republishing, with confirms and mandatory routing: the original is acked only after this ----

    def retry(self, delivery: Delivery, error: str, attempts: int) -> None:
        self._republish(delivery, exchange="", routing_key=self.topology.retry_queue_name(attempts),
                        headers={ATTEMPTS_HEADER: attempts, "x-last-error": error[:MAX_ERROR_LENGTH]})

    def dead_letter(self, delivery: Delivery, error: str, attempts: int) -> None:
        self._republish(
            delivery,
            exchange=self.settings.dead_letter_exchange,
            routing_key=self.topology.dlq_name,
            headers={
                ATTEMPTS_HEADER: attempts,
                ERROR_HEADER: error[:MAX_ERROR_LENGTH],
                "x-failed-at": to_rfc3339(utcnow()),
                "x-service": self.topology.service,
            },
        )

    def _republish(self, delivery: Delivery, exchange: str, routing_key: str, headers: dict) -> None:
        kept = {key: value for key, value in delivery.headers.items() if key not in _BROKER_HEADERS}
        kept.setdefault("x-original-routing-key", delivery.routing_key)
        self.channel.basic_publish(
            exchange, routing_key, delivery.body,
            republished_properties(delivery.properties, {**kept, **headers}),
            mandatory=True,
        )


def republished_properties(original: pika.BasicProperties, headers: dict) -> pika.BasicProperties:
    """The original's contract properties, persistent, with new headers."""
    return pika.BasicProperties(
        content_type=original.content_type or "application/octet-stream",
        content_encoding=original.content_encoding,
        delivery_mode=2,
        message_id=original.message_id,
        correlation_id=original.correlation_id,
        timestamp=original.timestamp,
        type=original.type,
        app_id=original.app_id,
        headers=headers,
    )


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
