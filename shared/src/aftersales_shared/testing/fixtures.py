"""pytest plugin with the fixtures every service's tests share.

Load it from a conftest.py at the top of a test tree::

    pytest_plugins = ["aftersales_shared.testing.fixtures"]

Real PostgreSQL and RabbitMQ are used, never mocks of them. When one is unreachable the tests
that need it fail with a message saying so; they are never skipped silently.

Environment: ``AMQP_URL`` (host, port and credentials of the broker; the vhost part is ignored),
``RABBITMQCTL`` / ``RABBITMQ_MANAGEMENT_URL`` (how to create vhosts), ``PG_ADMIN_URL``
(a superuser connection, default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Iterator

import pytest

from ..config import DEFAULT_AMQP_URL, MessagingSettings
from .amqp import BrokerUnavailable, WireTap, create_vhost, delete_vhost, redact, wait_for_consumer
from .helpers import RUN_ID, unique
from .postgres import DatabaseUnavailable, admin_url, create_database, drop_database
from .tcpproxy import TcpProxy


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "integration: needs the real PostgreSQL and/or RabbitMQ")
    # pika logs every connection at INFO; keep failure reports readable.
    logging.getLogger("pika").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def run_id() -> str:
    """Short id unique to this test process; part of every name ``unique()`` makes."""
    return RUN_ID


# -- RabbitMQ ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def amqp_vhost(run_id) -> Iterator[str]:
    """AMQP URL of a vhost created for this test run and deleted after it.

    Broker host/port/user from env ``AMQP_URL`` (default guest@127.0.0.1:5672).
    """
    base = os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
    vhost = f"aftersales-test-{run_id}"
    problem = None
    try:
        url = create_vhost(base, vhost)
    except BrokerUnavailable as exc:
        problem = str(exc)
    if problem is not None:  # failed outside the except block: no chained traceback in the report
        pytest.fail(
            f"RabbitMQ needed for this test is unavailable (AMQP_URL={redact(base)}): {problem}\n"
            "Start it (e.g. `docker compose -f deploy/docker-compose.yml up -d rabbitmq`) or point AMQP_URL at one.",
            pytrace=False,
        )
    yield url
    try:
        delete_vhost(base, vhost)
    except BrokerUnavailable as exc:  # pragma: no cover - leaves a vhost behind, not worth failing the run
        print(f"warning: could not delete test vhost {vhost}: {exc}")


@pytest.fixture
def new_vhost(run_id) -> Iterator[Callable[[], str]]:
    """Factory: ``new_vhost()`` → the AMQP URL of a vhost of the test's own, deleted after it. For tests that
    declare queues under the services' real names with settings of their own."""
    base = os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
    created: list[str] = []

    def make() -> str:
        name = f"aftersales-test-{unique('v')}"
        url = create_vhost(base, name)
        created.append(name)
        return url

    yield make
    for name in created:
        try:
            delete_vhost(base, name)
        except BrokerUnavailable as exc:  # pragma: no cover
            print(f"warning: could not delete test vhost {name}: {exc}")


@pytest.fixture
def messaging_settings(amqp_vhost, tmp_path) -> Callable[..., MessagingSettings]:
    """Factory: ``messaging_settings(**overrides)`` → MessagingSettings on the run's vhost, with
    short relay waits and heartbeat files under the test's tmp_path."""

    def make(**overrides) -> MessagingSettings:
        values = dict(
            amqp_url=amqp_vhost,
            heartbeat_dir=str(tmp_path / "heartbeats"),
            relay_idle_seconds=0.05,
            relay_max_backoff_seconds=0.5,
            retry_delays_ms=(100, 200),
            max_attempts=3,
        )
        values.update(overrides)
        return MessagingSettings(**values)

    return make


@pytest.fixture
def wire_tap(amqp_vhost) -> Iterator[Callable[..., WireTap]]:
    """Factory: ``wire_tap(binding_keys=("#",), amqp_url=None)`` → a started WireTap, closed after the test."""
    taps: list[WireTap] = []

    def make(binding_keys=("#",), amqp_url: str | None = None) -> WireTap:
        tap = WireTap(amqp_url or amqp_vhost, binding_keys)
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.close()


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[..., TcpProxy]]:
    """Factory: ``tcp_proxy(host, port)`` → a TcpProxy in front of host:port, closed after the test."""
    proxies: list[TcpProxy] = []

    def make(host: str, port: int) -> TcpProxy:
        proxy = TcpProxy(host, port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


class BackgroundThread(threading.Thread):
    """Runs ``target`` and keeps what it raised, so a test's teardown can report it."""

    def __init__(self, target: Callable[[], object], name: str):
        super().__init__(name=name, daemon=True)
        self._target_fn = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._target_fn()
        except BaseException as exc:  # noqa: BLE001
            self.error = exc


@pytest.fixture
def start_consumer() -> Iterator[Callable[..., BackgroundThread]]:
    """Factory: ``start_consumer(consumer, timeout=10, safety_interval=0.1)`` runs an EventConsumer's ``run()`` in a thread and
    returns once its queue has a consumer. After the test: ``should_stop = True``, join, release."""
    started = []

    def start(consumer, timeout: float = 10.0, safety_interval: float = 0.1) -> BackgroundThread:
        # safety_interval: how long the consumer waits for a delivery before it looks at should_stop
        # again (1 s by default); shorter makes the teardown quick.
        thread = BackgroundThread(lambda: consumer.run(safety_interval=safety_interval),
                                  name=f"consumer-{consumer.topology.service}")
        started.append((consumer, thread))
        thread.start()
        try:
            wait_for_consumer(consumer.settings.amqp_url, consumer.topology.queue_name, timeout=timeout)
        except AssertionError:
            if thread.error is not None:
                raise AssertionError(f"consumer thread died: {thread.error!r}") from thread.error
            raise
        return thread

    yield start
    problems = []
    for consumer, thread in started:
        consumer.should_stop = True
    for consumer, thread in started:
        thread.join(timeout=15)
        if thread.is_alive():
            problems.append(f"consumer {consumer.topology.service} did not stop within 15s")
        elif thread.error is not None:
            problems.append(f"consumer {consumer.topology.service} crashed: {thread.error!r}")
        consumer.close()
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def start_relay() -> Iterator[Callable[..., BackgroundThread]]:
    """Factory: ``start_relay(relay)`` runs an OutboxRelay's ``run()`` in a thread; stopped and joined after the test."""
    started = []

    def start(relay) -> BackgroundThread:
        thread = BackgroundThread(relay.run, name=f"relay-{relay.service}")
        started.append((relay, thread))
        thread.start()
        return thread

    yield start
    problems = []
    for relay, thread in started:
        relay.stop()
    for relay, thread in started:
        thread.join(timeout=15)
        if thread.is_alive():
            problems.append(f"relay {relay.service} did not stop within 15s")
        elif thread.error is not None:
            problems.append(f"relay {relay.service} crashed: {thread.error!r}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


# -- PostgreSQL -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_database(run_id) -> Iterator[Callable[..., str]]:
    """Factory: ``pg_database(prefix="t")`` creates a database with a unique name and returns its
    SQLAlchemy URL (``postgresql+psycopg2://...``). All are dropped WITH (FORCE) at the end of the session.

    Server and superuser from env ``PG_ADMIN_URL`` (default postgresql://postgres@127.0.0.1:5432/postgres).
    """
    admin = admin_url()
    created: list[str] = []

    def make(prefix: str = "t") -> str:
        name = unique(f"as_{prefix}", sep="_").lower()
        problem = None
        try:
            url = create_database(name, admin)
        except DatabaseUnavailable as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(
                f"PostgreSQL needed for this test is unavailable: {problem}\n"
                "Start it (e.g. `docker compose -f deploy/docker-compose.yml up -d postgres`) or set PG_ADMIN_URL.",
                pytrace=False,
            )
        created.append(name)
        return url

    yield make
    for name in created:
        try:
            drop_database(name, admin)
        except DatabaseUnavailable as exc:  # pragma: no cover
            print(f"warning: could not drop test database {name}: {exc}")


@pytest.fixture(params=["postgresql", "sqlite"])
def any_database(request, tmp_path) -> str:
    """SQLAlchemy URL of a new, empty database; a test using it runs once on each database the services
    run on: PostgreSQL (production) and SQLite (the embedded default), which differ in what they refuse."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database")("any")
    return f"sqlite:///{tmp_path / 'any.db'}"
