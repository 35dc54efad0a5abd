"""Operator tools: look at what was parked and send it back once the cause is fixed."""
from __future__ import annotations

import json

from kombu import Connection

from .consumer import ATTEMPTS_HEADER, ERROR_HEADER
from .topology import Topology


def _get(channel, queue: str):
    """basic.get as a kombu Message: py-amqp's raw message has no ack()/reject() and raises
    AttributeError for a property the publisher did not set (content_type, content_encoding)."""
    raw = channel.basic_get(queue, no_ack=False)
    return None if raw is None else channel.message_to_python(raw)


def list_dead_letters(topology: Topology, limit: int) -> list[str]:
    """Peeks without consuming: every message looked at is returned to the queue."""
    lines = []
    with Connection(topology.settings.amqp_url) as connection:
        channel = connection.channel()
        topology.declare(channel)
        taken = []
        for _ in range(limit):
            message = _get(channel, topology.dlq_name)
            if message is None:
                break
            taken.append(message)
            headers = message.headers or {}
            lines.append(json.dumps({
                "message_id": message.properties.get("message_id"),
                "type": message.properties.get("type"),
                "routing_key": headers.get("x-original-routing-key"),
                "attempts": headers.get(ATTEMPTS_HEADER),
                "error": headers.get(ERROR_HEADER),
                "failed_at": headers.get("x-failed-at"),
            }))
        for message in taken:
            message.reject(requeue=True)
    return lines


def replay_dead_letters(topology: Topology, limit: int) -> int:
    """Moves parked messages back to the service's queue with a fresh attempt count."""
    replayed = 0
    with Connection(topology.settings.amqp_url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        topology.declare(channel)
        producer = connection.Producer(channel=connection.channel())
        for _ in range(limit):
            message = _get(channel, topology.dlq_name)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (ATTEMPTS_HEADER, ERROR_HEADER, "x-death")}
            producer.publish(
                message.body, exchange="", routing_key=topology.queue_name, headers=headers,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                delivery_mode=2, message_id=message.properties.get("message_id"),
                type=message.properties.get("type"), app_id=message.properties.get("app_id"),
            )
            message.ack()
            replayed += 1
    return replayed
