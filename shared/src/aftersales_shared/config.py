"""Settings every service reads from its environment (12-factor); parsing only, no I/O."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


class ConfigError(ValueError):
    pass


def env_int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def env_choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def env_int_list(environ: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated integers, got {raw!r}") from exc
    if not values or any(value <= 0 for value in values):
        raise ConfigError(f"{name} needs one or more positive integers, got {raw!r}")
    return values


@dataclass(frozen=True)
class MessagingSettings:
    amqp_url: str = DEFAULT_AMQP_URL
    exchange: str = "aftersales.events"
    dead_letter_exchange: str = "aftersales.dlx"
    # Whatever the main bindings do not route lands here instead of being dropped.
    unroutable_exchange: str = "aftersales.unroutable"
    queue_type: str = "quorum"
    # Deliveries (not handler attempts) after which the broker parks a message that keeps killing its consumer.
    delivery_limit: int = 5
    consumer_batch_size: int = 200
    consumer_batch_wait_ms: float = 2.0
    prefetch: int = 0  # 0: twice the batch, so the next batch is already on its way while one commits
    heartbeat: int = 30
    retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000)
    max_attempts: int = 4
    dependency_max_backoff_seconds: float = 30.0
    relay_batch_size: int = 1000
    relay_idle_seconds: float = 1.0
    relay_max_backoff_seconds: float = 30.0
    retention_days: float = 7.0
    purge_batch_size: int = 5000
    heartbeat_dir: str = field(default="")
    metrics_port: int = 0

    @property
    def consumer_prefetch(self) -> int:
        return self.prefetch or 2 * self.consumer_batch_size

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "MessagingSettings":
        environ = os.environ if environ is None else environ
        return cls(
            amqp_url=environ.get("AMQP_URL") or DEFAULT_AMQP_URL,
            exchange=environ.get("EVENT_EXCHANGE") or "aftersales.events",
            dead_letter_exchange=environ.get("DEAD_LETTER_EXCHANGE") or "aftersales.dlx",
            unroutable_exchange=environ.get("UNROUTABLE_EXCHANGE") or "aftersales.unroutable",
            queue_type=env_choice(environ, "QUEUE_TYPE", "quorum", ("quorum", "classic")),
            delivery_limit=env_int(environ, "DELIVERY_LIMIT", 5, minimum=1),
            consumer_batch_size=env_int(environ, "CONSUMER_BATCH_SIZE", 200, minimum=1),
            consumer_batch_wait_ms=env_float(environ, "CONSUMER_BATCH_WAIT_MS", 2.0),
            prefetch=env_int(environ, "CONSUMER_PREFETCH", 0, minimum=0),
            heartbeat=env_int(environ, "AMQP_HEARTBEAT", 30),
            retry_delays_ms=env_int_list(environ, "RETRY_DELAYS_MS", (1_000, 5_000, 30_000)),
            max_attempts=env_int(environ, "MAX_ATTEMPTS", 4, minimum=1),
            dependency_max_backoff_seconds=env_float(environ, "DEPENDENCY_MAX_BACKOFF_SECONDS", 30.0),
            relay_batch_size=env_int(environ, "RELAY_BATCH_SIZE", 1000, minimum=1),
            relay_idle_seconds=env_float(environ, "RELAY_IDLE_SECONDS", 1.0),
            relay_max_backoff_seconds=env_float(environ, "RELAY_MAX_BACKOFF_SECONDS", 30.0),
            retention_days=env_float(environ, "RETENTION_DAYS", 7.0),
            purge_batch_size=env_int(environ, "PURGE_BATCH_SIZE", 5000, minimum=1),
            heartbeat_dir=environ.get("HEARTBEAT_DIR") or "",
            metrics_port=env_int(environ, "METRICS_PORT", 0),
        )
