"""EventConsumer against the real broker and database: retries with growing delay, dead letters, dedup, replay."""
import json
import threading
import time

import pytest
from marshmallow import Schema, fields

from aftersales_shared.bus import EventBus
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.dlq import list_dead_letters, replay_dead_letters
from aftersales_shared.envelope import new_envelope
from aftersales_shared.testing import unique, unique_event_type, wait_for
from aftersales_shared.testing.amqp import get_messages, publish, publish_envelope, queue_depth
from aftersales_shared.topology import Topology


class ProbeData(Schema):
    ticket_id = fields.String(required=True)
    qty = fields.Integer(required=True)


class Harness:
    """One consuming service with a unique name and event type on the run's vhost, inbox on real PostgreSQL."""

    def __init__(self, db, settings, behaviour):
        self.db = db
        self.settings = settings
        self.service = unique("svc")
        self.event_type = unique_event_type()
        self.region = unique("r")
        self.behaviour = behaviour  # called with the event; raise to fail
        self.calls: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.bus = EventBus(db.uow, {self.event_type: self._handle}, {self.event_type: ProbeData()})
        self.topology = Topology(self.service, tuple(self.bus.event_types), settings)
        self.consumer = EventConsumer(self.bus, self.topology, settings)

    def _handle(self, event, uow):
        with self.lock:
            self.calls.append((time.monotonic(), event.id))
        self.behaviour(event)

    def calls_for(self, event_id):
        with self.lock:
            return [t for t, i in self.calls if i == event_id]

    def envelope(self, **data):
        return new_envelope(type=self.event_type, data={"ticket_id": "T-1", "qty": 1, **data}, source="intake",
                            subject="T-1", region=self.region, site="SH-01")

    def publish(self, envelope):
        publish_envelope(self.settings.amqp_url, envelope, app_id="intake")

    @property
    def routing_key(self):
        return f"{self.event_type}.{self.region}.SH-01"

    def dead_letters(self, count, timeout=10.0):
        return get_messages(self.settings.amqp_url, self.topology.dlq_name, count=count, timeout=timeout)

    def depth(self, queue=None):
        return queue_depth(self.settings.amqp_url, queue or self.topology.queue_name)


@pytest.fixture
def consumer_db(module_pg_outbox_db):
    return module_pg_outbox_db


@pytest.fixture
def harness(consumer_db, messaging_settings, start_consumer):
    def make(behaviour=lambda event: None, **settings):
        h = Harness(consumer_db, messaging_settings(**settings), behaviour)
        start_consumer(h.consumer)
        return h

    return make


def always_fails(event):
    raise RuntimeError(f"boom for {event.id}")


def test_failing_handler_is_retried_with_growing_delays_then_dead_lettered(harness):
    h = harness(always_fails, retry_delays_ms=(100, 200), max_attempts=3)
    event = h.envelope()
    h.publish(event)

    [parked] = h.dead_letters(1)
    assert parked.message_id == event.id
    headers = parked.headers
    assert headers["x-attempts"] == 3
    assert f"RuntimeError: boom for {event.id}" in headers["x-error"]
    assert headers["x-original-routing-key"] == h.routing_key
    assert headers["x-service"] == h.service
    assert headers["x-failed-at"].endswith("Z")
    assert "x-death" not in headers
    # the message itself is unchanged: same body and contract properties
    assert json.loads(parked.body) == event.to_dict()
    assert parked.properties.type == h.event_type
    assert parked.properties.app_id == "intake"
    assert parked.properties.content_type == "application/json"
    assert parked.properties.delivery_mode == 2

    times = h.calls_for(event.id)
    assert len(times) == 3, times
    first_gap, second_gap = times[1] - times[0], times[2] - times[1]
    assert first_gap >= 0.09, f"no delay before the first retry ({first_gap:.3f}s)"
    assert second_gap >= 0.18, f"second retry too early ({second_gap:.3f}s)"
    assert second_gap > first_gap, f"delays do not grow: {first_gap:.3f}s then {second_gap:.3f}s"
    assert first_gap < 2 and second_gap < 2

    # nothing left anywhere, and no fourth attempt
    assert h.depth() == 0
    assert all(h.depth(q.name) == 0 for q in h.topology.retry_queues())
    time.sleep(0.3)  # longer than any retry delay: a hot loop or a stray retry would show up here
    assert len(h.calls_for(event.id)) == 3


@pytest.mark.parametrize("kind", ["not-json", "not-an-object", "breaks-envelope-schema", "breaks-data-schema"])
def test_unprocessable_messages_are_parked_at_once(harness, kind):
    h = harness(always_fails)
    if kind == "not-json":
        publish(h.settings.amqp_url, h.routing_key, b"\x00 this is { not json", message_id="m-1",
                content_type="application/json", delivery_mode=2)
        error_part = "Not JSON"
    elif kind == "not-an-object":
        publish(h.settings.amqp_url, h.routing_key, b"[1, 2, 3]", message_id="m-2", content_type="application/json")
        error_part = "object"
    elif kind == "breaks-envelope-schema":
        body = h.envelope().to_dict()
        body["source"] = "crm"
        del body["subject"]
        publish(h.settings.amqp_url, h.routing_key, json.dumps(body), message_id=body["id"],
                content_type="application/json")
        error_part = "subject"
    else:
        h.publish(h.envelope(qty="many"))
        error_part = "qty"

    [parked] = h.dead_letters(1)
    assert parked.headers["x-attempts"] == 1
    assert parked.headers["x-error"].startswith("InvalidMessage")
    assert error_part in parked.headers["x-error"]
    assert h.calls == []
    assert all(h.depth(q.name) == 0 for q in h.topology.retry_queues())


def test_a_message_published_twice_is_handled_once(harness, consumer_db):
    h = harness()
    event = h.envelope()
    h.publish(event)
    h.publish(event)
    barrier = h.envelope(qty=2)
    h.publish(barrier)

    wait_for(lambda: h.calls_for(barrier.id), timeout=10, message="barrier message not handled")
    wait_for(lambda: h.depth() == 0, timeout=5, message="main queue not drained")
    assert len(h.calls_for(event.id)) == 1
    assert consumer_db.inbox_ids().count(event.id) == 1
    assert h.depth(h.topology.dlq_name) == 0


def test_a_retried_message_is_not_mistaken_for_a_duplicate(harness):
    failures = []

    def fails_twice(event):
        if len(failures) < 2:
            failures.append(event.id)
            raise RuntimeError("transient")

    h = harness(fails_twice, retry_delays_ms=(50, 50), max_attempts=5)
    event = h.envelope()
    h.publish(event)
    wait_for(lambda: len(h.calls_for(event.id)) == 3, timeout=10, message=lambda: f"calls: {h.calls}")
    time.sleep(0.2)
    assert len(h.calls_for(event.id)) == 3
    assert h.depth(h.topology.dlq_name) == 0


def test_replay_moves_parked_messages_back_once_the_handler_is_fixed(harness):
    broken = threading.Event()
    broken.set()

    def handler(event):
        if broken.is_set():
            raise RuntimeError("downstream rule missing")

    h = harness(handler, retry_delays_ms=(50, 50), max_attempts=2)
    event = h.envelope()
    h.publish(event)
    wait_for(lambda: h.depth(h.topology.dlq_name) == 1, timeout=10, message="message not parked")
    assert len(h.calls_for(event.id)) == 2

    listed = [message.summary() for message in list_dead_letters(h.topology, limit=10)]
    assert [entry["message_id"] for entry in listed] == [event.id]
    assert listed[0]["attempts"] == 2 and "downstream rule missing" in listed[0]["error"]
    assert listed[0]["routing_key"] == h.routing_key
    wait_for(lambda: h.depth(h.topology.dlq_name) == 1, timeout=5, message="listing consumed the parked message")

    broken.clear()
    assert replay_dead_letters(h.topology, limit=10) == 1
    wait_for(lambda: len(h.calls_for(event.id)) == 3, timeout=10, message="replayed message not handled")
    wait_for(lambda: h.depth() == 0, timeout=5, message="main queue not drained")
    assert h.depth(h.topology.dlq_name) == 0
    time.sleep(0.2)
    assert len(h.calls_for(event.id)) == 3  # handled once after the replay
    assert replay_dead_letters(h.topology, limit=10) == 0


def test_retries_still_work_after_the_queue_was_idle_for_several_heartbeats(harness):
    h = harness(always_fails, heartbeat=1, retry_delays_ms=(50, 50), max_attempts=3)
    first = h.envelope()
    h.publish(first)
    h.dead_letters(1)
    # Idle for several heartbeat intervals: the idleness itself is what is tested, so this sleep is the test.
    time.sleep(3.5)
    second = h.envelope()
    h.publish(second)
    [parked] = h.dead_letters(1)
    assert parked.message_id == second.id and parked.headers["x-attempts"] == 3
    assert len(h.calls_for(second.id)) == 3, "an extra, uncounted attempt: the retry publisher had lost its connection"


def test_operators_show_and_replay_parked_messages_by_id_or_type_keeping_their_headers(harness):
    broken = threading.Event()
    broken.set()

    def handler(event):
        if broken.is_set():
            raise RuntimeError("rule missing")

    h = harness(handler, retry_delays_ms=(50,), max_attempts=1)
    parked = [h.envelope(qty=n) for n in range(1, 4)]
    for envelope in parked:
        publish_envelope(h.settings.amqp_url, envelope, app_id="intake", correlation_id=envelope.correlation_id,
                         timestamp=1_700_000_000 + parked.index(envelope))
    wait_for(lambda: h.depth(h.topology.dlq_name) == 3, timeout=10, message="messages not parked")

    [shown] = list_dead_letters(h.topology, ids=[parked[1].id])
    detail = shown.detail()
    assert detail["message_id"] == parked[1].id and detail["type"] == h.event_type
    assert detail["body"]["data"]["qty"] == 2 and "rule missing" in detail["error"]
    assert detail["correlation_id"] == parked[1].correlation_id
    assert [m.message_id for m in list_dead_letters(h.topology, types=[h.event_type])] == [e.id for e in parked]
    assert list_dead_letters(h.topology, types=["SomethingElse"]) == []

    broken.clear()
    assert replay_dead_letters(h.topology, ids=[parked[1].id]) == 1
    wait_for(lambda: h.calls_for(parked[1].id)[1:], timeout=10, message="replayed message not handled")
    # the others stay parked, in their order, untouched
    remaining = list_dead_letters(h.topology)
    assert [m.message_id for m in remaining] == [parked[0].id, parked[2].id]
    assert all(m.attempts == 1 and "rule missing" in m.error for m in remaining)

    assert replay_dead_letters(h.topology, types=[h.event_type]) == 2
    wait_for(lambda: h.depth(h.topology.dlq_name) == 0 and h.depth() == 0, timeout=10, message="not drained")
    assert all(len(h.calls_for(e.id)) == 2 for e in parked)


def test_a_replayed_message_keeps_its_correlation_id_and_timestamp(harness, amqp_vhost):
    h = harness(always_fails, retry_delays_ms=(50,), max_attempts=1)
    event = h.envelope()
    publish_envelope(h.settings.amqp_url, event, app_id="intake", correlation_id="corr-1", timestamp=1_700_000_123)
    wait_for(lambda: h.depth(h.topology.dlq_name) == 1, timeout=10, message="not parked")
    h.consumer.should_stop = True
    wait_for(lambda: not h.consumer.ready, timeout=10, message="consumer did not stop")
    assert replay_dead_letters(h.topology, ids=[event.id]) == 1
    [replayed] = get_messages(h.settings.amqp_url, h.topology.queue_name, count=1, timeout=10)
    assert replayed.properties.correlation_id == "corr-1"
    assert replayed.properties.timestamp == 1_700_000_123
    assert replayed.properties.app_id == "intake" and replayed.message_id == event.id
    assert "x-attempts" not in replayed.headers and "x-replayed-at" in replayed.headers
