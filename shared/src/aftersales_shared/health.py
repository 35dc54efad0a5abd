"""Readiness probes: the database answers, the broker answers and our topology is there."""
from __future__ import annotations

from kombu import Connection
from sqlalchemy import Engine, text

from .config import MessagingSettings


def database_check(engine: Engine):
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def broker_check(settings: MessagingSettings, queue: str | None = None):
    """Passive declares fail when the exchange (or this service's queue) was never declared."""

    def check() -> None:
        with Connection(settings.amqp_url, connect_timeout=2) as connection:
            # One attempt, no back-off: a probe must answer quickly either way.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            channel = connection.channel()
            channel.exchange_declare(settings.exchange, "topic", passive=True)
            if queue:
                channel.queue_declare(queue, passive=True)

    return check
