"""A broker-side meddler: every event reaches the services twice, each copy after a random delay.

While it runs, the services' queues are bound to a side exchange instead of the event exchange; the
meddler takes every event off the event exchange and publishes it (same body, id and headers) twice
onto the side exchange, each copy after its own random delay, so a ticket's events reach a service
out of order as well as twice. ``stop()`` binds the queues back and hands on whatever it still holds.
"""
from __future__ import annotations

import heapq
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time

from aftersales_shared.envelope import EXCHANGE
from aftersales_shared.testing.amqp import connect

SIDE_EXCHANGE = "faults.meddler"
INBOX = "faults.meddler.in"

_ROUTING_KEYS = """
import json, os, sys
keys = {}
for service in sys.argv[1:]:
    runtime = __import__(f"{service}.bootstrap", fromlist=["build_runtime"]).build_runtime()
    keys[runtime.topology.queue_name] = runtime.topology.routing_keys
    runtime.dispose()
print(json.dumps(keys))
"""


def service_bindings(services) -> dict[str, list[str]]:
    """Each service's queue and its binding keys, as the services themselves declare them."""
    env = dict(os.environ, DATABASE_URL="sqlite://", LOG_LEVEL="WARNING")
    output = subprocess.run([sys.executable, "-c", _ROUTING_KEYS, *services], env=env, capture_output=True,
                            text=True, check=True, timeout=120).stdout
    return json.loads(output.strip().splitlines()[-1])


class Meddler:
    def __init__(self, amqp_url: str, bindings: dict[str, list[str]], max_delay: float = 0.5, seed: int = 7):
        self.amqp_url = amqp_url
        self.bindings = bindings
        self.max_delay = max_delay
        self.random = random.Random(seed)
        self.received = 0
        self.sent = 0
        self.reordered: set[str] = set()  # tickets whose events left in another order than they came
        self._arrival: dict[str, list[int]] = {}
        self._departure: dict[str, list[int]] = {}
        self._order = itertools.count()
        self._heap: list = []
        self._stop = threading.Event()
        self._draining = threading.Event()
        self.error: BaseException | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="meddler", daemon=True)

    # -- set-up and tear-down ----------------------------------------------------------------------------

    def start(self) -> "Meddler":
        connection = connect(self.amqp_url)
        try:
            channel = connection.channel()
            channel.exchange_declare(SIDE_EXCHANGE, "topic", durable=False, auto_delete=False)
            channel.queue_declare(INBOX, durable=True)
            channel.queue_bind(INBOX, EXCHANGE, "#")
            for queue, keys in self.bindings.items():
                for key in keys:
                    channel.queue_bind(queue, SIDE_EXCHANGE, key)
                    channel.queue_unbind(queue, EXCHANGE, key)
        finally:
            connection.close()
        self._thread.start()
        if not self._started.wait(10) or self.error:
            raise RuntimeError(f"meddler did not start: {self.error!r}")
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Binds the queues back, then hands on everything still held before it goes."""
        connection = connect(self.amqp_url)
        try:
            channel = connection.channel()
            for queue, keys in self.bindings.items():
                for key in keys:
                    channel.queue_bind(queue, EXCHANGE, key)
            channel.queue_unbind(INBOX, EXCHANGE, "#")
        finally:
            connection.close()
        self._draining.set()
        self._thread.join(timeout)
        connection = connect(self.amqp_url)
        try:
            channel = connection.channel()
            for queue, keys in self.bindings.items():
                for key in keys:
                    channel.queue_unbind(queue, SIDE_EXCHANGE, key)
            channel.queue_delete(INBOX)
            channel.exchange_delete(SIDE_EXCHANGE)
        finally:
            connection.close()
        if self.error:
            raise RuntimeError(f"meddler failed: {self.error!r}")

    # -- the loop ----------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            connection = connect(self.amqp_url)
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_qos(prefetch_count=2000)
            channel.basic_consume(INBOX, self._on_message)
            self._channel = channel
            self._started.set()
            idle_since = None
            while True:
                connection.process_data_events(time_limit=0.01)
                self._release_due()
                if self._draining.is_set():
                    depth = channel.queue_declare(INBOX, passive=True).method.message_count
                    if not self._heap and depth == 0:
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since > 0.3:
                            break
                    else:
                        idle_since = None
            connection.close()
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.error = exc
            self._started.set()

    def _on_message(self, _channel, method, properties, body) -> None:
        self.received += 1
        ticket = _ticket_of(body)
        arrival = next(self._order)
        self._arrival.setdefault(ticket, []).append(arrival)
        now = time.monotonic()
        copies = [now + self.random.uniform(0, self.max_delay) for _ in range(2)]
        # The original is acked once its second copy is on its way (confirmed).
        for index, due in enumerate(sorted(copies)):
            last = method.delivery_tag if index == 1 else None
            heapq.heappush(self._heap, (due, next(self._order), arrival, ticket, method.routing_key, properties,
                                        body, last))

    def _release_due(self) -> None:
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            _due, _n, arrival, ticket, routing_key, properties, body, ack_tag = heapq.heappop(self._heap)
            self._channel.basic_publish(SIDE_EXCHANGE, routing_key, body, properties)
            self.sent += 1
            departures = self._departure.setdefault(ticket, [])
            if departures and arrival < departures[-1]:
                self.reordered.add(ticket)
            departures.append(arrival)
            if ack_tag is not None:
                self._channel.basic_ack(ack_tag)


def _ticket_of(body: bytes) -> str:
    try:
        envelope = json.loads(body)
        return (envelope.get("data") or {}).get("ticket_id") or envelope.get("subject") or "?"
    except (ValueError, AttributeError):
        return "?"

