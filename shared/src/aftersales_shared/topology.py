"""The broker objects the platform needs, described once as data and declared idempotently.

The same description feeds the services at start-up, the broker definitions shipped in deploy/ and
anything else that must agree with what the services declare.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pika.exceptions

from .config import MessagingSettings


# The envelope's region (the second word of every routing key); it also becomes part of a queue's name.
REGION = re.compile(r"[A-Za-z0-9-]{1,32}")


class TopologyMismatch(RuntimeError):
    """The broker holds an object of the same name with other settings; redeclaring cannot fix that."""


@dataclass(frozen=True)
class ExchangeSpec:
    name: str
    type: str
    arguments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    arguments: dict
    bindings: tuple[tuple[str, str], ...] = ()  # (exchange, routing key)


def core_exchanges(settings: MessagingSettings) -> list[ExchangeSpec]:
    return [
        ExchangeSpec(settings.unroutable_exchange, "fanout"),
        ExchangeSpec(settings.exchange, "topic", {"alternate-exchange": settings.unroutable_exchange}),
        ExchangeSpec(settings.dead_letter_exchange, "direct"),
    ]


def unroutable_queue(settings: MessagingSettings) -> QueueSpec:
    return QueueSpec(settings.unroutable_exchange, _durable_arguments(settings),
                     ((settings.unroutable_exchange, ""),))


def _durable_arguments(settings: MessagingSettings) -> dict:
    return {"x-queue-type": "quorum"} if settings.queue_type == "quorum" else {}


def _dead_lettering(settings: MessagingSettings, exchange: str, routing_key: str) -> dict:
    arguments = {**_durable_arguments(settings), "x-dead-letter-exchange": exchange,
                 "x-dead-letter-routing-key": routing_key}
    if settings.queue_type == "quorum":
        # Without this a quorum queue dead-letters at most once: a message could vanish between two queues.
        arguments.update({"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})
    return arguments


@dataclass(frozen=True)
class Topology:
    """A service's queues: one main queue with its retry queues and dead-letter queue.

    With a ``region`` the queue takes only that region's events (``<type>.<region>.#``) and is named
    ``<service>.events.<region>``, so a service can run one consumer per region, each on its own queue.
    """
    service: str
    event_types: tuple[str, ...]
    settings: MessagingSettings
    region: str = ""

    def __post_init__(self):
        if self.region and not REGION.fullmatch(self.region):
            raise ValueError(f"region must be 1-32 letters, digits or '-', got {self.region!r}")
        if self.region in ("dlq", "retry"):
            # <service>.events.dlq is the region-less queue's dead-letter queue
            raise ValueError(f"region must not be named {self.region!r}: queue names end in .dlq and .retry.<n>")

    def for_regions(self, regions: tuple[str, ...] | list[str]) -> list["Topology"]:
        """One topology per region, each with its own queues; no regions: this one, taking every region."""
        if len(set(regions)) != len(regions) or not all(regions):
            raise ValueError(f"regions must be named and must not repeat, got {list(regions)}")
        return [replace(self, region=region) for region in regions] or [self]

    @property
    def queue_name(self) -> str:
        return f"{self.service}.events.{self.region}" if self.region else f"{self.service}.events"

    @property
    def dlq_name(self) -> str:
        return f"{self.queue_name}.dlq"

    def retry_queue_name(self, attempt: int) -> str:
        """Retry queue for the ``attempt``-th failure (1-based); the last delay repeats."""
        index = min(attempt, len(self.settings.retry_delays_ms))
        return f"{self.queue_name}.retry.{index}"

    @property
    def routing_keys(self) -> list[str]:
        scope = f".{self.region}.#" if self.region else ".#"
        return [f"{event_type}{scope}" for event_type in self.event_types]

    def main_queue(self) -> QueueSpec:
        arguments = _dead_lettering(self.settings, self.settings.dead_letter_exchange, self.dlq_name)
        if self.settings.queue_type == "quorum":
            arguments["x-delivery-limit"] = self.settings.delivery_limit
        return QueueSpec(self.queue_name, arguments,
                         tuple((self.settings.exchange, key) for key in self.routing_keys))

    def retry_queues(self) -> list[QueueSpec]:
        return [
            QueueSpec(f"{self.queue_name}.retry.{index}",
                      {**_dead_lettering(self.settings, "", self.queue_name), "x-message-ttl": delay})
            for index, delay in enumerate(self.settings.retry_delays_ms, start=1)
        ]

    def dead_letter_queue(self) -> QueueSpec:
        return QueueSpec(self.dlq_name, _durable_arguments(self.settings),
                         ((self.settings.dead_letter_exchange, self.dlq_name),))

    def exchanges(self) -> list[ExchangeSpec]:
        return core_exchanges(self.settings)

    def queues(self) -> list[QueueSpec]:
        """In declaration order: a queue exists before anything dead-letters into it."""
        return [unroutable_queue(self.settings), self.dead_letter_queue(), self.main_queue(), *self.retry_queues()]

    def declare(self, channel) -> None:
        declare_all(channel, self.exchanges(), self.queues())


def declare_core(channel, settings: MessagingSettings) -> None:
    """What every publisher needs before its first publish: the exchanges and the unroutable queue."""
    declare_all(channel, core_exchanges(settings), [unroutable_queue(settings)])


def declare_all(channel, exchanges: list[ExchangeSpec], queues: list[QueueSpec]) -> None:
    """Declares on a pika blocking channel; an object that exists with other settings is a clear error."""
    for exchange in exchanges:
        with _explained(f"exchange {exchange.name!r}"):
            channel.exchange_declare(exchange.name, exchange.type, durable=True, arguments=exchange.arguments or None)
    for queue in queues:
        with _explained(f"queue {queue.name!r}"):
            channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
        for exchange, routing_key in queue.bindings:
            channel.queue_bind(queue.name, exchange, routing_key)


class _explained:
    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, _tb):
        if isinstance(exc, pika.exceptions.ChannelClosedByBroker) and exc.reply_code == 406:
            raise TopologyMismatch(
                f"the broker already has {self.what} with other settings ({exc.reply_text}); it was declared "
                f"by an older version. Delete it once it is drained (rabbitmqctl delete_queue / "
                f"delete_exchange) or point AMQP_URL at a fresh vhost."
            ) from exc
        return False


def broker_definitions(topologies: list[Topology], vhost: str = "/") -> dict:
    """Exchanges, queues and bindings in RabbitMQ's definitions format: what the services declare, as data."""
    exchanges, queues = {}, {}
    for topology in topologies:
        exchanges.update({exchange.name: exchange for exchange in topology.exchanges()})
        queues.update({queue.name: queue for queue in topology.queues()})
    return {
        "exchanges": [{"name": e.name, "vhost": vhost, "type": e.type, "durable": True, "auto_delete": False,
                       "internal": False, "arguments": dict(e.arguments)} for e in exchanges.values()],
        "queues": [{"name": q.name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": dict(q.arguments)} for q in queues.values()],
        "bindings": [{"source": exchange, "vhost": vhost, "destination": q.name, "destination_type": "queue",
                      "routing_key": key, "arguments": {}}
                     for q in queues.values() for exchange, key in q.bindings],
    }
