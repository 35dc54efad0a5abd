"""Dead letters and unroutable messages, through the shared dlq module the services' own CLIs use.

The CLI does not know each service's event types and must not redeclare queues with settings that may
differ from the running services' (a retry delay, a delivery limit): it only looks queues up
(passive declare) and says plainly when one does not exist.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pika.exceptions

from aftersales_shared.amqp import blocking_connection
from aftersales_shared.config import MessagingSettings
from aftersales_shared.dlq import ParkedMessage, list_dead_letters, replay_dead_letters
from aftersales_shared.topology import Topology

from .http import OpsError


@dataclass(frozen=True)
class ExistingQueues(Topology):
    """A service's queues as they already are on the broker: declaring checks they exist, nothing more."""

    def declare(self, channel) -> None:
        for name in (self.dlq_name, self.queue_name):
            channel.queue_declare(name, passive=True)


def topology(service: str, settings: MessagingSettings, region: str = "") -> ExistingQueues:
    return ExistingQueues(service, (), settings, region)


def _missing(service: str, queues: ExistingQueues) -> OpsError:
    return OpsError(f"{service}: queue {queues.queue_name} or {queues.dlq_name} does not exist on the broker "
                    f"(has {service} started on this vhost? is --region right?)")


def parked(service: str, settings: MessagingSettings, *, region: str = "", limit: int = 100,
           ids=(), types=()) -> list[ParkedMessage]:
    queues = topology(service, settings, region)
    try:
        return list_dead_letters(queues, limit, ids=ids, types=types)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise _missing(service, queues) from exc
        raise


def replay(service: str, settings: MessagingSettings, *, region: str = "", limit: int = 100,
           ids=(), types=()) -> int:
    queues = topology(service, settings, region)
    try:
        return replay_dead_letters(queues, limit, ids=ids, types=types)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise _missing(service, queues) from exc
        raise


def depth(settings: MessagingSettings, queue: str) -> int | None:
    connection = blocking_connection(settings, "aftersales-ops-depth", timeout=5)
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if connection.is_open:
            connection.close()


def unroutable(settings: MessagingSettings, limit: int = 100) -> list[dict]:
    """Looks without taking, as ``dlq list`` does: no ack, so every message stays where it is, in order."""
    connection = blocking_connection(settings, "aftersales-ops-unroutable", timeout=5)
    found = []
    try:
        channel = connection.channel()
        try:
            count = channel.queue_declare(settings.unroutable_exchange, passive=True).method.message_count
        except pika.exceptions.ChannelClosedByBroker as exc:
            raise OpsError(f"no unroutable queue {settings.unroutable_exchange!r} on the broker yet "
                           f"(no service has declared its topology on this vhost)") from exc
        for _ in range(min(count, limit)):
            method, properties, body = channel.basic_get(settings.unroutable_exchange, auto_ack=False)
            if method is None:
                break
            message = ParkedMessage.from_delivery(properties, body)
            try:
                envelope = json.loads(body)
            except ValueError:
                envelope = {}
            found.append({"message_id": message.message_id, "type": message.type,
                          "routing_key": method.routing_key, "source": properties.app_id,
                          "correlation_id": message.correlation_id or _get(envelope, "correlation_id"),
                          "time": _get(envelope, "time"), "bytes": len(body)})
    finally:
        if connection.is_open:
            connection.close()
    return found


def _get(envelope, key):
    return envelope.get(key) if isinstance(envelope, dict) else None
