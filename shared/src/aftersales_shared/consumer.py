"""Bus consumer: ack after commit, retry with growing delay, park in the DLQ; never drop, never hot-loop."""
from __future__ import annotations

import logging
import traceback

from kombu import Connection, Producer
from kombu.mixins import ConsumerMixin
from prometheus_client import Counter

from .bus import EventBus
from .config import MessagingSettings
from .envelope import InvalidMessage, parse_envelope
from .heartbeat import Heartbeat
from .timeutil import to_rfc3339, utcnow
from .topology import Topology

log = logging.getLogger(__name__)

CONSUMED = Counter("events_consumed_total", "Messages taken off a service's queue, by what became of them",
                   ["service", "outcome"])

ATTEMPTS_HEADER = "x-attempts"
ERROR_HEADER = "x-error"
MAX_ERROR_LENGTH = 4000
_COPIED_PROPERTIES = ("message_id", "type", "app_id", "correlation_id", "timestamp")


def attempts_so_far(message) -> int:
    try:
        return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class EventConsumer(ConsumerMixin):
    def __init__(self, bus: EventBus, topology: Topology, settings: MessagingSettings,
                 heartbeat: Heartbeat | None = None):
        self.bus = bus
        self.topology = topology
        self.settings = settings
        self.heartbeat = heartbeat or Heartbeat.for_process(settings, topology.service, "consumer")
        # confirm_publish: a retry or dead letter is confirmed by the broker before the original is acked.
        # The mixin consumes on a clone of this connection (same heartbeat and options).
        self.connection = Connection(
            settings.amqp_url, heartbeat=settings.heartbeat, transport_options={"confirm_publish": True}
        )
        self._producer: Producer | None = None

    def get_consumers(self, Consumer, channel):
        self.topology.declare(channel)
        # Retries and dead letters go out on the consuming connection: its heartbeats keep it alive while the
        # queue is idle, and a reconnect renews both together.
        self._producer = Producer(channel.connection.client.channel())
        return [
            Consumer(
                queues=[self.topology.main_queue()],
                on_message=self.on_message,
                prefetch_count=self.settings.prefetch,
                accept=None,
            )
        ]

    def on_connection_error(self, exc, interval):
        log.warning("%s consumer: broker unreachable (%s); retrying in %ss", self.topology.service, exc, interval)

    def on_iteration(self):
        self.heartbeat.beat()

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        log.info("%s consumer ready on %s", self.topology.service, self.topology.queue_name)

    def on_message(self, message) -> None:
        self.heartbeat.beat()
        attempts = attempts_so_far(message) + 1
        try:
            envelope = parse_envelope(message.body)
            outcome = "handled" if self.bus.handle(envelope) else "duplicate"
        except InvalidMessage as exc:
            log.error("%s: unprocessable message parked: %s", self.topology.queue_name, exc)
            self.dead_letter(message, f"InvalidMessage: {exc}", attempts)
            outcome = "dead_lettered"
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then parked
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            if attempts >= self.settings.max_attempts:
                log.error("%s: giving up after %d attempts: %s", self.topology.queue_name, attempts, error)
                self.dead_letter(message, error, attempts)
                outcome = "dead_lettered"
            else:
                log.warning("%s: attempt %d failed, retrying: %s", self.topology.queue_name, attempts, error)
                self.retry(message, error, attempts)
                outcome = "retried"
        message.ack()
        CONSUMED.labels(self.topology.service, outcome).inc()

    def retry(self, message, error: str, attempts: int) -> None:
        self._republish(message, exchange="", routing_key=self.topology.retry_queue_name(attempts),
                        headers={ATTEMPTS_HEADER: attempts, "x-last-error": error[:MAX_ERROR_LENGTH]})

    def dead_letter(self, message, error: str, attempts: int) -> None:
        self._republish(
            message,
            exchange=self.settings.dead_letter_exchange,
            routing_key=self.topology.dlq_name,
            headers={
                ATTEMPTS_HEADER: attempts,
                ERROR_HEADER: error[:MAX_ERROR_LENGTH],
                "x-failed-at": to_rfc3339(utcnow()),
                "x-service": self.topology.service,
            },
        )

    def _republish(self, message, exchange: str, routing_key: str, headers: dict) -> None:
        original_headers = dict(message.headers or {})
        original_headers.setdefault("x-original-routing-key", message.delivery_info.get("routing_key"))
        original_headers.pop("x-death", None)
        properties = {key: message.properties[key] for key in _COPIED_PROPERTIES if key in message.properties}
        self._producer.publish(
            message.body,
            exchange=exchange,
            routing_key=routing_key,
            headers={**original_headers, **headers},
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            delivery_mode=2,
            retry=False,
            **properties,
        )
