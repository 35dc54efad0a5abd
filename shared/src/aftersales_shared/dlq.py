"""Operator tools: look at what was parked and send it back once the cause is fixed.

Replaying never relies on reject-and-requeue (quorum queues count every requeue as a delivery): the
tool takes each parked message once, republishes it with confirms — to the service's queue when it
was chosen, to the end of the DLQ otherwise — and only then acks it. Headers, correlation id and
timestamp travel with the message.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterable

import pika

from .amqp import blocking_connection
from .consumer import ATTEMPTS_HEADER, ERROR_HEADER, republished_properties
from .timeutil import to_rfc3339, utcnow
from .topology import Topology

_RESET_ON_REPLAY = (ATTEMPTS_HEADER, ERROR_HEADER, "x-last-error", "x-death", "x-delivery-count",
                    "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason")


@dataclass(frozen=True)
class ParkedMessage:
    message_id: str | None
    type: str | None
    routing_key: str | None
    attempts: int | None
    error: str | None
    failed_at: str | None
    reason: str | None  # why the broker parked it, when it did (a delivery limit reached)
    correlation_id: str | None
    headers: dict
    body: bytes

    @classmethod
    def from_delivery(cls, properties: pika.BasicProperties, body: bytes) -> "ParkedMessage":
        headers = dict(properties.headers or {})
        deaths = headers.get("x-death") or []
        return cls(
            message_id=properties.message_id, type=properties.type,
            routing_key=headers.get("x-original-routing-key") or _first_routing_key(deaths),
            attempts=headers.get(ATTEMPTS_HEADER), error=headers.get(ERROR_HEADER),
            failed_at=headers.get("x-failed-at"),
            reason=deaths[0].get("reason") if deaths else None,
            correlation_id=properties.correlation_id, headers=headers, body=body,
        )

    def summary(self) -> dict:
        return {"message_id": self.message_id, "type": self.type, "routing_key": self.routing_key,
                "attempts": self.attempts, "error": self.error, "failed_at": self.failed_at,
                "reason": self.reason}

    def detail(self) -> dict:
        try:
            body = json.loads(self.body)
        except ValueError:
            body = self.body.decode("utf-8", errors="replace")
        return {**self.summary(), "correlation_id": self.correlation_id,
                "headers": {k: _plain(v) for k, v in self.headers.items()}, "body": body}


def _first_routing_key(deaths) -> str | None:
    for death in deaths:
        keys = death.get("routing-keys") or []
        if keys:
            return keys[0]
    return None


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _selector(ids: Iterable[str] = (), types: Iterable[str] = ()) -> Callable[[ParkedMessage], bool]:
    ids, types = set(ids), set(types)
    if not ids and not types:
        return lambda message: True
    return lambda message: message.message_id in ids or message.type in types


def list_dead_letters(topology: Topology, limit: int = 100, ids: Iterable[str] = (),
                      types: Iterable[str] = ()) -> list[ParkedMessage]:
    """Looks without taking: the channel closes without acks, so every message stays parked, in order."""
    chosen = _selector(ids, types)
    found = []
    connection = blocking_connection(topology.settings, f"{topology.service}-dlq-list")
    try:
        channel = connection.channel()
        topology.declare(channel)
        depth = channel.queue_declare(topology.dlq_name, passive=True).method.message_count
        for _ in range(depth):
            method, properties, body = channel.basic_get(topology.dlq_name, auto_ack=False)
            if method is None:
                break
            message = ParkedMessage.from_delivery(properties, body)
            if chosen(message):
                found.append(message)
                if len(found) >= limit:
                    break
    finally:
        connection.close()
    return found


def replay_dead_letters(topology: Topology, limit: int = 100, ids: Iterable[str] = (),
                        types: Iterable[str] = ()) -> int:
    """Sends chosen parked messages back to the service's queue with a fresh attempt count."""
    chosen = _selector(ids, types)
    replayed = 0
    connection = blocking_connection(topology.settings, f"{topology.service}-dlq-replay")
    try:
        channel = connection.channel()
        topology.declare(channel)
        channel.confirm_delivery()
        depth = channel.queue_declare(topology.dlq_name, passive=True).method.message_count
        for _ in range(depth):
            method, properties, body = channel.basic_get(topology.dlq_name, auto_ack=False)
            if method is None:
                break
            message = ParkedMessage.from_delivery(properties, body)
            if replayed < limit and chosen(message):
                headers = {k: v for k, v in message.headers.items() if k not in _RESET_ON_REPLAY}
                headers["x-replayed-at"] = to_rfc3339(utcnow())
                channel.basic_publish("", topology.queue_name, body, republished_properties(properties, headers),
                                      mandatory=True)
                replayed += 1
            else:
                channel.basic_publish("", topology.dlq_name, body,
                                      republished_properties(properties, dict(message.headers)), mandatory=True)
            channel.basic_ack(method.delivery_tag)
    finally:
        connection.close()
    return replayed
