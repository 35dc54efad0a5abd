"""``python -m <service> <command>``: migrate, consumer, relay, alive, dlq."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Callable

from prometheus_client import start_http_server

from .consumer import EventConsumer
from .dlq import list_dead_letters, replay_dead_letters
from .heartbeat import heartbeat_path, is_fresh
from .migrations import upgrade
from .relay import OutboxRelay
from .runtime import ServiceRuntime


def _configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def _on_stop_signals(stop: Callable[[], None]) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop())


def _serve_metrics(runtime: ServiceRuntime) -> None:
    """Consumer and relay have no web server; METRICS_PORT gives Prometheus a way in."""
    if runtime.messaging.metrics_port:
        start_http_server(runtime.messaging.metrics_port)


def run_consumer(runtime: ServiceRuntime) -> int:
    if runtime.bus is None:
        print(f"{runtime.service} consumes no events", file=sys.stderr)
        return 2
    consumer = EventConsumer(runtime.bus, runtime.topology, runtime.messaging)
    _serve_metrics(runtime)

    def stop() -> None:
        consumer.should_stop = True

    _on_stop_signals(stop)
    consumer.run()
    return 0


def run_relay(runtime: ServiceRuntime) -> int:
    relay = OutboxRelay(runtime.service, runtime.engine, runtime.outbox, runtime.messaging)
    _serve_metrics(runtime)
    _on_stop_signals(relay.stop)
    relay.run()
    return 0


def service_main(service: str, build_runtime: Callable[[], ServiceRuntime], argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {service}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring this service's database schema up to date")
    commands.add_parser("consumer", help="consume this service's queue")
    commands.add_parser("relay", help="publish this service's outbox")
    alive = commands.add_parser("alive", help="exit 0 when the process's heartbeat is fresh")
    alive.add_argument("role", choices=["consumer", "relay"])
    alive.add_argument("--max-age", type=float, default=60.0)
    dlq = commands.add_parser("dlq", help="list or replay dead-lettered messages")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)

    _configure_logging()
    runtime = build_runtime()
    try:
        if args.command == "migrate":
            upgrade(runtime.migrations_dir, runtime.engine)
            return 0
        if args.command == "consumer":
            return run_consumer(runtime)
        if args.command == "relay":
            return run_relay(runtime)
        if args.command == "alive":
            return 0 if is_fresh(heartbeat_path(runtime.messaging, service, args.role), args.max_age) else 1
        if runtime.topology is None:
            print(f"{service} has no queue", file=sys.stderr)
            return 2
        if args.action == "list":
            for line in list_dead_letters(runtime.topology, args.limit):
                print(line)
            return 0
        print(f"replayed {replay_dead_letters(runtime.topology, args.limit)} messages")
        return 0
    finally:
        runtime.dispose()
