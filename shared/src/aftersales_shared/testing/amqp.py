"""Broker-side test tools, independent of the code under test (pika, not kombu/py-amqp).

- ``create_vhost`` / ``delete_vhost``: a throw-away vhost per test run (rabbitmqctl, or the management API).
- ``WireTap``: sees what really went out on ``aftersales.events``.
- ``publish`` / ``publish_envelope``: put a message on the exchange the way another service would.
- ``queue_depth``, ``consumer_count``, ``get_messages``, ``purge``: look into a queue.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pika
import pika.exceptions

from ..config import MessagingSettings
from ..envelope import EXCHANGE, Envelope
from ..topology import declare_core
from .helpers import wait_for

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
_SYNC_TYPE = "aftersales.testing.wiretap-sync"


class BrokerUnavailable(RuntimeError):
    """The broker (or the tool to manage it) cannot be reached; the message says what was tried."""


# -- URLs and vhosts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AmqpTarget:
    host: str
    port: int
    user: str
    password: str
    scheme: str = "amqp"

    @classmethod
    def from_url(cls, url: str) -> "AmqpTarget":
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5672,
            user=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            scheme=parts.scheme or "amqp",
        )

    def url(self, vhost: str = "/") -> str:
        netloc = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@{self.host}:{self.port}"
        return urlunsplit((self.scheme, netloc, "/" + quote(vhost, safe=""), "", ""))


def vhost_url(base_url: str, vhost: str) -> str:
    """``base_url`` (only scheme, host, port and credentials are used) pointing at ``vhost``, url-quoted."""
    return AmqpTarget.from_url(base_url).url(vhost)


def check_reachable(host: str, port: int, timeout: float = 3.0) -> None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise BrokerUnavailable(f"RabbitMQ is not reachable at {host}:{port}: {exc}") from exc


def _rabbitmqctl_command() -> list[str] | None:
    configured = os.environ.get("RABBITMQCTL")
    if configured:
        return shlex.split(configured)
    found = shutil.which("rabbitmqctl")
    return [found] if found else None


def _run_ctl(command: list[str], *args: str) -> None:
    try:
        result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=90)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerUnavailable(f"`{' '.join([*command, *args])}` failed: {exc}") from exc
    if result.returncode != 0:
        raise BrokerUnavailable(
            f"`{' '.join([*command, *args])}` exited with {result.returncode}: "
            f"{(result.stderr or result.stdout).strip()[:1000]}"
        )


def _management_url(target: AmqpTarget) -> str:
    return os.environ.get("RABBITMQ_MANAGEMENT_URL") or (
        f"http://{quote(target.user, safe='')}:{quote(target.password, safe='')}@{target.host}:15672"
    )


def _management(method: str, target: AmqpTarget, path: str, body: dict | None = None) -> None:
    import requests

    base = urlsplit(_management_url(target))
    auth = (unquote(base.username or target.user), unquote(base.password or target.password))
    root = urlunsplit((base.scheme, f"{base.hostname}:{base.port or 15672}", base.path.rstrip("/"), "", ""))
    try:
        response = requests.request(method, f"{root}/api/{path}", json=body, auth=auth, timeout=10)
    except requests.RequestException as exc:
        raise BrokerUnavailable(f"RabbitMQ management API at {root} not reachable: {exc}") from exc
    if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
        raise BrokerUnavailable(f"RabbitMQ management API {method} {path}: {response.status_code} {response.text[:500]}")


def create_vhost(base_url: str, vhost: str) -> str:
    """Creates ``vhost``, grants the URL's user full permissions on it and returns its AMQP URL.

    Uses ``rabbitmqctl`` (override the command with env ``RABBITMQCTL``, e.g.
    ``docker compose -f deploy/docker-compose.yml exec -T rabbitmq rabbitmqctl``), or, when there is
    none or ``RABBITMQ_MANAGEMENT_URL`` is set, the management HTTP API. Raises ``BrokerUnavailable``.
    """
    target = AmqpTarget.from_url(base_url)
    check_reachable(target.host, target.port)
    command = _rabbitmqctl_command()
    if command and not os.environ.get("RABBITMQ_MANAGEMENT_URL"):
        _run_ctl(command, "add_vhost", vhost)
        _run_ctl(command, "set_permissions", "-p", vhost, target.user, ".*", ".*", ".*")
    else:
        encoded = quote(vhost, safe="")
        _management("PUT", target, f"vhosts/{encoded}", {})
        _management("PUT", target, f"permissions/{encoded}/{quote(target.user, safe='')}",
                    {"configure": ".*", "write": ".*", "read": ".*"})
    url = target.url(vhost)
    _verify_login(url)
    return url


def delete_vhost(base_url: str, vhost: str) -> None:
    target = AmqpTarget.from_url(base_url)
    command = _rabbitmqctl_command()
    if command and not os.environ.get("RABBITMQ_MANAGEMENT_URL"):
        _run_ctl(command, "delete_vhost", vhost)
    else:
        _management("DELETE", target, f"vhosts/{quote(vhost, safe='')}")


def _verify_login(url: str, attempts: int = 20) -> None:
    # A fresh vhost can take a moment to start on every node; permissions may lag too.
    last: Exception | None = None
    for _ in range(attempts):
        try:
            connect(url).close()
            return
        except pika.exceptions.AMQPError as exc:
            last = exc
            time.sleep(0.1)
    raise BrokerUnavailable(f"cannot open a connection to {redact(url)}: {last!r}")


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect(url: str) -> pika.BlockingConnection:
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 5
    parameters.blocked_connection_timeout = 10
    parameters.connection_attempts = 1
    return pika.BlockingConnection(parameters)


# -- publishing and peeking -------------------------------------------------------------------------

def declare_exchange_like_the_platform(channel, exchange: str) -> None:
    """The platform's exchange carries arguments (its alternate exchange); declare it exactly as it does."""
    if exchange == EXCHANGE:
        declare_core(channel, MessagingSettings())
    else:
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)


def publish(url: str, routing_key: str, body: bytes | str, *, exchange: str = EXCHANGE,
            headers: dict | None = None, declare_exchange: bool = True, **properties: Any) -> None:
    """Publishes one message with publisher confirms (returns once the broker has it)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    connection = connect(url)
    try:
        channel = connection.channel()
        if declare_exchange and exchange:
            declare_exchange_like_the_platform(channel, exchange)
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, body,
                              pika.BasicProperties(headers=headers, **properties))
    finally:
        connection.close()


def publish_envelope(url: str, envelope: Envelope, app_id: str | None = None, **overrides: Any) -> None:
    """Publishes ``envelope`` as the contract says (routing key, properties); ``overrides`` win."""
    properties = {**envelope.amqp_properties(app_id or envelope.source.split("/")[0]), **overrides}
    publish(url, envelope.routing_key, envelope.to_json(), **properties)


def publish_envelopes(url: str, envelopes: Iterable[Envelope], app_id: str | None = None) -> None:
    """Many envelopes on one connection, each confirmed, in order."""
    connection = connect(url)
    try:
        channel = connection.channel()
        declare_exchange_like_the_platform(channel, EXCHANGE)
        channel.confirm_delivery()
        for envelope in envelopes:
            properties = envelope.amqp_properties(app_id or envelope.source.split("/")[0])
            channel.basic_publish(EXCHANGE, envelope.routing_key, envelope.to_json().encode(),
                                  pika.BasicProperties(**properties))
    finally:
        connection.close()


def queue_info(url: str, queue: str) -> tuple[int, int] | None:
    """(messages ready, consumers) of ``queue``, or None when it does not exist."""
    connection = connect(url)
    try:
        channel = connection.channel()
        try:
            result = channel.queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return None
            raise
        return result.method.message_count, result.method.consumer_count
    finally:
        if connection.is_open:
            connection.close()


def queue_depth(url: str, queue: str) -> int:
    """Messages ready in ``queue`` (0 when it does not exist)."""
    info = queue_info(url, queue)
    return info[0] if info else 0


def consumer_count(url: str, queue: str) -> int:
    info = queue_info(url, queue)
    return info[1] if info else 0


def wait_for_consumer(url: str, queue: str, timeout: float = 10.0) -> None:
    wait_for(lambda: consumer_count(url, queue) > 0, timeout=timeout, interval=0.05,
             message=f"no consumer on queue {queue!r}")


def wait_for_depth(url: str, queue: str, depth: int, timeout: float = 10.0) -> None:
    wait_for(lambda: queue_depth(url, queue) >= depth, timeout=timeout, interval=0.05,
             message=lambda: f"queue {queue!r} has {queue_depth(url, queue)} messages, expected {depth}")


class Received(NamedTuple):
    """One message as a consumer saw it; unpacks as ``routing_key, properties, body``."""

    routing_key: str
    properties: pika.BasicProperties
    body: bytes

    @property
    def headers(self) -> dict:
        return dict(self.properties.headers or {})

    @property
    def message_id(self) -> str | None:
        return self.properties.message_id

    @property
    def type(self) -> str | None:
        return self.properties.type

    def json(self) -> Any:
        return json.loads(self.body)


def get_messages(url: str, queue: str, count: int | None = None, timeout: float = 10.0,
                 ack: bool = True) -> list[Received]:
    """Takes messages off ``queue`` with basic.get.

    With ``count``: waits until that many were taken (AssertionError on timeout). Without: takes
    whatever is there now. ``ack=False`` puts them back afterwards (a peek).
    """
    connection = connect(url)
    taken: list[Received] = []
    try:
        channel = connection.channel()
        tags = []

        def take() -> bool:
            while count is None or len(taken) < count:
                method, properties, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    return count is None
                tags.append(method.delivery_tag)
                taken.append(Received(method.routing_key, properties, body))
            return True

        wait_for(take, timeout=timeout, interval=0.05,
                 message=lambda: f"queue {queue!r}: got {len(taken)} messages, expected {count}")
        for tag in tags:
            if ack:
                channel.basic_ack(tag)
            else:
                channel.basic_nack(tag, requeue=True)
    finally:
        if connection.is_open:
            connection.close()
    return taken


def purge(url: str, queue: str) -> int:
    connection = connect(url)
    try:
        return connection.channel().queue_purge(queue).method.message_count
    finally:
        connection.close()


# -- the wire tap -----------------------------------------------------------------------------------

class WireTap:
    """An independent consumer on ``aftersales.events``: an exclusive, auto-delete queue bound with
    ``binding_keys``; everything routed to it is collected as ``Received`` in ``messages``.

    The binding is in place when the constructor returns. Thread-safe; ``close()`` when done
    (or use it as a context manager).
    """

    def __init__(self, amqp_url: str, binding_keys: Sequence[str] | str = ("#",), exchange: str = EXCHANGE,
                 timeout: float = 10.0):
        self.amqp_url = amqp_url
        self.binding_keys = (binding_keys,) if isinstance(binding_keys, str) else tuple(binding_keys)
        self.exchange = exchange
        self.queue: str | None = None
        self._messages: list[Received] = []
        self._synced: set[str] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="wiretap", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self._stop.set()
            raise BrokerUnavailable(f"wire tap on {redact(amqp_url)} not ready within {timeout}s")
        if self._error is not None:
            raise BrokerUnavailable(f"wire tap on {redact(amqp_url)} failed: {self._error!r}") from self._error

    def _run(self) -> None:
        connection = None
        try:
            connection = connect(self.amqp_url)
            channel = connection.channel()
            declare_exchange_like_the_platform(channel, self.exchange)
            self.queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            for key in self.binding_keys:
                channel.queue_bind(self.queue, self.exchange, routing_key=key)
            channel.basic_consume(self.queue, self._on_message, auto_ack=True)
        except BaseException as exc:  # noqa: BLE001 - reported to the constructor
            self._error = exc
            self._ready.set()
            if connection is not None and connection.is_open:
                connection.close()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.05)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the wait_* methods
            self._error = exc
        finally:
            try:
                if connection.is_open:
                    connection.close()
            except Exception:  # noqa: BLE001
                pass
            with self._changed:
                self._changed.notify_all()

    def _on_message(self, channel, method, properties, body) -> None:
        with self._changed:
            if properties.type == _SYNC_TYPE:
                self._synced.add(properties.message_id)
            else:
                self._messages.append(Received(method.routing_key, properties, body))
            self._changed.notify_all()

    def sync(self, timeout: float = 10.0) -> list[Received]:
        """Returns once everything enqueued for the tap before this call has been received.

        Sends a marker straight to the tap's queue and waits for it: the queue is FIFO, so every
        message the broker confirmed to its publisher earlier has arrived by then. Use it before
        asserting that something arrived *exactly* once (or not at all). The marker is not recorded.
        """
        marker = f"wiretap-sync-{uuid.uuid4()}"
        publish(self.amqp_url, self.queue or "", b"", exchange="", declare_exchange=False,
                type=_SYNC_TYPE, message_id=marker)
        deadline = time.monotonic() + timeout
        with self._changed:
            while marker not in self._synced:
                if self._error is not None:
                    raise AssertionError(f"wire tap broke: {self._error!r}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"wire tap did not see its sync marker within {timeout}s")
                self._changed.wait(min(remaining, 0.2))
            self._synced.discard(marker)
            return list(self._messages)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        """A snapshot of everything received so far, in arrival order."""
        with self._lock:
            return list(self._messages)

    def message_ids(self) -> list[str | None]:
        return [m.message_id for m in self.messages]

    def envelopes(self) -> list[dict]:
        return [m.json() for m in self.messages]

    def of_type(self, event_type: str) -> list[Received]:
        return [m for m in self.messages if m.type == event_type]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_until(self, predicate, timeout: float = 10.0, message: str = "") -> list[Received]:
        """Waits until ``predicate(messages)`` is truthy; returns the messages at that point."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                snapshot = list(self._messages)
                if predicate(snapshot):
                    return snapshot
                if self._error is not None:
                    raise AssertionError(f"wire tap broke: {self._error!r}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = [(m.routing_key, m.type, m.message_id) for m in snapshot][-20:]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting on the wire tap {message}; "
                        f"{len(snapshot)} received (last 20: {summary})"
                    )
                self._changed.wait(min(remaining, 0.2))

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[Received]:
        return self.wait_until(lambda ms: len(ms) >= count, timeout, f"for {count} messages")

    def wait_for_types(self, types: Iterable[str], timeout: float = 10.0) -> list[Received]:
        """Waits until, for every entry of ``types`` (repeats count), a message of that AMQP ``type``
        arrived; returns the matching messages in arrival order."""
        wanted = list(types)

        def match(messages: list[Received]) -> list[Received] | None:
            remaining = list(wanted)
            found = []
            for received in messages:
                if received.type in remaining:
                    remaining.remove(received.type)
                    found.append(received)
            return None if remaining else found

        snapshot = self.wait_until(lambda ms: match(ms) is not None, timeout, f"for types {wanted}")
        return match(snapshot) or []

    def wait_for_ids(self, message_ids: Iterable[str], timeout: float = 10.0) -> list[Received]:
        """Waits until a message with each of ``message_ids`` arrived; returns those messages."""
        wanted = set(message_ids)
        snapshot = self.wait_until(lambda ms: wanted <= {m.message_id for m in ms}, timeout,
                                   f"for {len(wanted)} message ids")
        return [m for m in snapshot if m.message_id in wanted]

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> "WireTap":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
