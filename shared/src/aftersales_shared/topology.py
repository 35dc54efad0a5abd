"""Exchanges and queues of one consuming service, declared idempotently at start."""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue

from .config import MessagingSettings


@dataclass(frozen=True)
class Topology:
    service: str
    event_types: tuple[str, ...]
    settings: MessagingSettings

    @property
    def queue_name(self) -> str:
        return f"{self.service}.events"

    @property
    def dlq_name(self) -> str:
        return f"{self.queue_name}.dlq"

    def retry_queue_name(self, attempt: int) -> str:
        """Retry queue for the ``attempt``-th failure (1-based); the last delay repeats."""
        index = min(attempt, len(self.settings.retry_delays_ms))
        return f"{self.queue_name}.retry.{index}"

    @property
    def exchange(self) -> Exchange:
        return Exchange(self.settings.exchange, type="topic", durable=True)

    @property
    def dead_letter_exchange(self) -> Exchange:
        return Exchange(self.settings.dead_letter_exchange, type="direct", durable=True)

    @property
    def routing_keys(self) -> list[str]:
        return [f"{event_type}.#" for event_type in self.event_types]

    def main_queue(self) -> Queue:
        return Queue(
            self.queue_name,
            exchange=self.exchange,
            routing_key=self.routing_keys[0] if self.routing_keys else None,
            durable=True,
            queue_arguments={
                # A message rejected without requeue (or expiring) is parked, never lost.
                "x-dead-letter-exchange": self.settings.dead_letter_exchange,
                "x-dead-letter-routing-key": self.dlq_name,
            },
        )

    def retry_queues(self) -> list[Queue]:
        return [
            Queue(
                f"{self.queue_name}.retry.{index}",
                durable=True,
                queue_arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue_name,
                },
            )
            for index, delay in enumerate(self.settings.retry_delays_ms, start=1)
        ]

    def dead_letter_queue(self) -> Queue:
        return Queue(self.dlq_name, exchange=self.dead_letter_exchange, routing_key=self.dlq_name, durable=True)

    def declare(self, channel) -> None:
        self.exchange(channel).declare()
        self.dead_letter_exchange(channel).declare()
        self.dead_letter_queue()(channel).declare()
        for queue in self.retry_queues():
            queue(channel).declare()
        main = self.main_queue()(channel)
        main.declare()
        for key in self.routing_keys[1:]:
            main.bind_to(exchange=self.exchange, routing_key=key)


def declare_exchange(channel, settings: MessagingSettings) -> None:
    """Publishers declare the exchange too, so a relay never publishes into a missing one."""
    Exchange(settings.exchange, type="topic", durable=True)(channel).declare()
