"""An independent observer of everything on the event exchange, by ticket, with arrival times."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import pika.exceptions

from aftersales_shared.envelope import EXCHANGE
from aftersales_shared.testing.amqp import connect, publish

_SYNC_TYPE = "bench.wire.sync"


@dataclass(frozen=True)
class Seen:
    """One event as the wire observer received it; ``at`` is time.monotonic() on arrival."""

    type: str
    event_id: str | None
    message_id: str | None
    ticket_id: str | None
    site: str | None
    routing_key: str
    at: float
    data: dict


class WireObserver:
    """Records every event on the exchange by ticket; listeners are called on the observer's thread
    for each event (keep them quick: hand work to a queue)."""

    def __init__(self, amqp_url: str, binding_keys: Sequence[str] = ("#",), exchange: str = EXCHANGE,
                 timeout: float = 10.0):
        self.amqp_url = amqp_url
        self.binding_keys = tuple(binding_keys)
        self.exchange = exchange
        self.queue: str | None = None
        self.received = 0
        self.unreadable: list[tuple[str, bytes]] = []
        self._by_ticket: dict[str, list[Seen]] = {}
        self._listeners: list[Callable[[Seen], None]] = []
        self._synced: set[str] = set()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="wire-observer", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self.error is not None:
            self._stop.set()
            raise RuntimeError(f"wire observer could not start: {self.error!r}")

    def _run(self) -> None:
        try:
            connection = connect(self.amqp_url)
            channel = self._channel_with_exchange(connection)
            self.queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            for key in self.binding_keys:
                channel.queue_bind(self.queue, self.exchange, routing_key=key)
            channel.basic_consume(self.queue, self._on_message, auto_ack=True)
        except BaseException as exc:  # noqa: BLE001 - reported to the constructor
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by sync() and the result
            self.error = exc
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def _channel_with_exchange(self, connection):
        """Binds to the exchange as the services declared it (whatever its arguments); declares a plain
        one only where none exists yet, so an observer may start before the platform."""
        channel = connection.channel()
        try:
            channel.exchange_declare(self.exchange, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code != 404:
                raise
            channel = connection.channel()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        return channel

    def _on_message(self, _channel, method, properties, body) -> None:
        at = time.monotonic()
        if properties.type == _SYNC_TYPE:
            with self._lock:
                self._synced.add(properties.message_id)
                self._lock.notify_all()
            return
        try:
            envelope = json.loads(body)
            data = envelope.get("data") or {}
            seen = Seen(envelope["type"], envelope.get("id"), properties.message_id,
                        data.get("ticket_id") or envelope.get("subject"), envelope.get("site"),
                        method.routing_key, at, data)
        except (ValueError, KeyError, AttributeError, TypeError):
            with self._lock:
                self.unreadable.append((method.routing_key, body))
            return
        with self._lock:
            self.received += 1
            self._by_ticket.setdefault(seen.ticket_id, []).append(seen)
            listeners = list(self._listeners)
            self._lock.notify_all()
        for listener in listeners:
            listener(seen)

    def add_listener(self, listener: Callable[[Seen], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Seen], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def events_for(self, ticket_id: str) -> list[Seen]:
        with self._lock:
            return list(self._by_ticket.get(ticket_id, ()))

    def first(self, ticket_id: str, event_type: str) -> Seen | None:
        with self._lock:
            return next((s for s in self._by_ticket.get(ticket_id, ()) if s.type == event_type), None)

    def sync(self, timeout: float = 30.0) -> None:
        """Returns once everything routed to the observer before this call has been received (a marker
        sent straight to its FIFO queue has come back)."""
        marker = f"sync-{uuid.uuid4()}"
        publish(self.amqp_url, self.queue or "", b"", exchange="", declare_exchange=False,
                type=_SYNC_TYPE, message_id=marker)
        deadline = time.monotonic() + timeout
        with self._lock:
            while marker not in self._synced:
                if self.error is not None:
                    raise RuntimeError(f"wire observer broke: {self.error!r}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"wire observer did not see its sync marker within {timeout}s")
                self._lock.wait(0.2)
            self._synced.discard(marker)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> "WireObserver":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
