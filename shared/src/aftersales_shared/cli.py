"""``python -m <service> <command>``: migrate, declare, consumer, relay, worker, tick, alive, dlq."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Callable, Mapping

from .amqp import blocking_connection
from .consumer import EventConsumer
from .dlq import list_dead_letters, replay_dead_letters
from .health import Readiness, database_check, flag_check, serve_health
from .heartbeat import heartbeat_path, is_fresh
from .logs import configure_logging
from .migrations import schema_state, upgrade
from .periodic import Scheduler
from .relay import OutboxRelay
from .runtime import ServiceRuntime
from .topology import declare_core


def _on_stop_signals(stop: Callable[[], None]) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop())


def _serve_health(runtime: ServiceRuntime, role: str, **running: Callable[[], bool]) -> None:
    """Consumers and relays have no web server; METRICS_PORT gives probes and Prometheus a way in."""
    if not runtime.messaging.metrics_port:
        return
    required = {"database": database_check(runtime.engine)}
    required.update({name: flag_check(flag, name) for name, flag in running.items()})
    serve_health(runtime.messaging.metrics_port, runtime.service, role, Readiness(required))


def _consumers(runtime: ServiceRuntime) -> list[EventConsumer]:
    """One consumer per queue the runtime serves, all on the same handlers and database."""
    return [EventConsumer(runtime.bus, topology, runtime.messaging) for topology in runtime.topologies]


def _consume(consumers: list[EventConsumer], stop: Callable[[], None]) -> None:
    """The first consumer on this thread, any others beside it; when one returns, all stop."""
    others = [threading.Thread(target=consumer.run, name=f"consumer-{consumer.topology.queue_name}")
              for consumer in consumers[1:]]
    for thread in others:
        thread.start()
    try:
        consumers[0].run()
    finally:
        stop()
        for thread in others:
            thread.join()


def _relay(runtime: ServiceRuntime) -> OutboxRelay:
    return OutboxRelay(runtime.service, runtime.engine, runtime.outbox, runtime.messaging, inbox=runtime.inbox)


def _start_scheduler(runtime: ServiceRuntime) -> Scheduler | None:
    """Periodic jobs run beside the consumer; the scheduler's leadership keeps them to one process."""
    if not runtime.periodic_jobs:
        return None
    scheduler = Scheduler.for_engine(runtime.service, runtime.engine, runtime.periodic_jobs)
    scheduler.start_thread()
    return scheduler


def run_consumer(runtime: ServiceRuntime) -> int:
    if runtime.bus is None:
        print(f"{runtime.service} consumes no events", file=sys.stderr)
        return 2
    consumers = _consumers(runtime)
    _serve_health(runtime, "consumer", consumer=lambda: all(consumer.ready for consumer in consumers))
    scheduler = _start_scheduler(runtime)

    def stop() -> None:
        for consumer in consumers:
            consumer.should_stop = True
        if scheduler is not None:
            scheduler.stop()

    _on_stop_signals(stop)
    _consume(consumers, stop)
    return 0


def run_jobs_once(runtime: ServiceRuntime, names: list[str]) -> int:
    """Each periodic job (or the named ones) once, now: for cron-style deployments and operators."""
    known = {job.name: job for job in runtime.periodic_jobs}
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown job {', '.join(unknown)}; {runtime.service} has: {', '.join(known) or 'none'}",
              file=sys.stderr)
        return 2
    scheduler = Scheduler.for_engine(runtime.service, runtime.engine, runtime.periodic_jobs)
    for job in (known[name] for name in names) if names else runtime.periodic_jobs:
        print(json.dumps({"job": job.name, "acted_on": scheduler.run_job(job)}))
    return 0


def run_relay(runtime: ServiceRuntime) -> int:
    relay = _relay(runtime)
    _serve_health(runtime, "relay", relay=lambda: relay.ready)
    _on_stop_signals(relay.stop)
    relay.run()
    return 0


def run_worker(runtime: ServiceRuntime) -> int:
    """Consumer and relay in one process: fewer processes on a small machine, same guarantees."""
    relay = _relay(runtime)
    consumers = _consumers(runtime) if runtime.bus is not None else []
    flags = {"relay": lambda: relay.ready}
    if consumers:
        flags["consumer"] = lambda: all(consumer.ready for consumer in consumers)
    _serve_health(runtime, "worker", **flags)
    scheduler = _start_scheduler(runtime)

    def stop() -> None:
        relay.stop()
        for consumer in consumers:
            consumer.should_stop = True
        if scheduler is not None:
            scheduler.stop()

    _on_stop_signals(stop)
    relay_thread = threading.Thread(target=relay.run, name=f"{runtime.service}-relay")
    relay_thread.start()
    try:
        if consumers:
            _consume(consumers, stop)
        else:
            relay.stopping.wait()
    finally:
        stop()
        relay_thread.join()
    return 0


def check_schema(runtime: ServiceRuntime, wait_seconds: float) -> int:
    """Exit 0 once the database's schema is usable by this code; never changes it.

    What a pod runs before it starts, while the migration job of its version does the migrating.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            state = schema_state(runtime.migrations_dir, runtime.engine)
        except Exception as exc:  # noqa: BLE001 - an unreachable database is "not yet", like an old schema
            state = f"unknown (database unavailable: {type(exc).__name__})"
        if state in ("current", "ahead"):
            print(f"{runtime.service}: schema {state}")
            return 0
        if time.monotonic() >= deadline:
            print(f"{runtime.service}: schema {state}; run `python -m {runtime.service} migrate`", file=sys.stderr)
            return 1
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))


def declare_topology(runtime: ServiceRuntime) -> int:
    """Exchanges, this service's queues, retry and dead-letter queues: before anything is published."""
    connection = blocking_connection(runtime.messaging, f"{runtime.service}-declare")
    try:
        channel = connection.channel()
        declare_core(channel, runtime.messaging)
        for topology in runtime.topologies:
            topology.declare(channel)
    finally:
        connection.close()
    return 0


def run_dlq(runtime: ServiceRuntime, args) -> int:
    if runtime.topology is None:
        print(f"{runtime.service} has no queue", file=sys.stderr)
        return 2
    if args.action == "replay":
        count = replay_dead_letters(runtime.topology, args.limit, ids=args.id, types=args.type)
        print(json.dumps({"replayed": count}) if args.json else f"replayed {count} messages")
        return 0
    parked = list_dead_letters(runtime.topology, args.limit, ids=args.id, types=args.type)
    for message in parked:
        print(json.dumps(message.detail() if args.action == "show" else message.summary(), default=str))
    return 0


# A service's own commands beside the shared ones: name -> (help, run(the arguments after the name)).
OwnCommands = Mapping[str, tuple[str, Callable[[list[str]], int]]]


def build_parser(service: str, own: OwnCommands | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {service}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in (own or {}).items():
        # Listed in --help; its arguments are the service's own parser's to read (see service_main).
        commands.add_parser(name, help=help_text, add_help=False)
    migrate = commands.add_parser("migrate", help="bring this service's database schema up to date")
    migrate.add_argument("--check", action="store_true",
                         help="change nothing; exit 0 when the schema is up to date (or newer), else 1")
    migrate.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                         help="with --check: keep checking this long before giving up")
    commands.add_parser("declare", help="declare the broker objects this service needs (before anything publishes)")
    commands.add_parser("consumer", help="consume this service's queue")
    commands.add_parser("relay", help="publish this service's outbox")
    commands.add_parser("worker", help="consumer, relay and periodic jobs in one process")
    tick = commands.add_parser("tick", help="run this service's periodic jobs once, now")
    tick.add_argument("job", nargs="*", help="only these jobs")
    alive = commands.add_parser("alive", help="exit 0 when the process's heartbeat is fresh")
    alive.add_argument("role", choices=["consumer", "relay", "worker"])
    alive.add_argument("--max-age", type=float, default=60.0)
    dlq = commands.add_parser("dlq", help="list, show or replay dead-lettered messages")
    dlq.add_argument("action", choices=["list", "show", "replay"])
    dlq.add_argument("--id", action="append", default=[], help="only this message id (repeatable)")
    dlq.add_argument("--type", action="append", default=[], help="only this event type (repeatable)")
    dlq.add_argument("--limit", type=int, default=100)
    dlq.add_argument("--json", action="store_true", help="machine-readable summary of a replay")
    return parser


def service_main(service: str, build_runtime: Callable[[], ServiceRuntime], argv: list[str] | None = None,
                 own: OwnCommands | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if own and argv and argv[0] in own:
        return own[argv[0]][1](argv[1:])
    args = build_parser(service, own).parse_args(argv)
    configure_logging(service, args.command)
    runtime = build_runtime()
    try:
        if args.command == "migrate":
            if args.check:
                return check_schema(runtime, args.wait)
            upgrade(runtime.migrations_dir, runtime.engine)
            return 0
        if args.command == "declare":
            return declare_topology(runtime)
        if args.command == "consumer":
            return run_consumer(runtime)
        if args.command == "relay":
            return run_relay(runtime)
        if args.command == "worker":
            return run_worker(runtime)
        if args.command == "tick":
            return run_jobs_once(runtime, args.job)
        if args.command == "alive":
            roles = ("consumer", "relay") if args.role == "worker" else (args.role,)
            fresh = all(is_fresh(heartbeat_path(runtime.messaging, service, role), args.max_age) for role in roles)
            return 0 if fresh else 1
        return run_dlq(runtime, args)
    finally:
        runtime.dispose()
