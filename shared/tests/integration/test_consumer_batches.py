"""The consumer's fast path: a backlog committed in batches, one effect per envelope, order kept,
a poison message isolated while the rest of its batch commits; a database outage parks nothing."""
import json
import threading
import time

import pytest
from marshmallow import Schema, fields
from prometheus_client import REGISTRY
from sqlalchemy import select

from aftersales_shared.amqp import blocking_connection
from aftersales_shared.bus import EventBus
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.envelope import caused_by, new_envelope
from aftersales_shared.testing import unique, unique_event_type, wait_for
from aftersales_shared.testing.amqp import get_messages, publish_envelopes, queue_depth
from aftersales_shared.testing.outbox import OutboxDb
from aftersales_shared.topology import Topology


def effects_in(db: OutboxDb) -> list:
    """(causation id, subject, step) of every effect, in commit order."""
    with db.engine.connect() as connection:
        bodies = [json.loads(body) for body in
                  connection.execute(select(db.outbox.c.body).order_by(db.outbox.c.position)).scalars()]
    return [(b["causation_id"], b["subject"], b["data"]["step"]) for b in bodies]


class StepData(Schema):
    ticket_id = fields.String(required=True)
    step = fields.Integer(required=True)


class Service:
    """A consuming service whose effect is one outbox row per new event (caused by it), on a real database."""

    def __init__(self, db: OutboxDb, settings, poison: set[str] = frozenset(), set_based: bool = False):
        self.db = db
        self.settings = settings
        self.name = unique("svc")
        self.event_type = unique_event_type("Step")
        self.poison = set(poison)
        self.calls: list[str] = []
        self.lock = threading.Lock()
        schemas = {self.event_type: StepData()}
        if set_based:
            self.bus = EventBus(db.uow, {}, schemas, bulk_handlers={self.event_type: self._handle_run})
        else:
            self.bus = EventBus(db.uow, {self.event_type: self._handle}, schemas)
        self.topology = Topology(self.name, (self.event_type,), settings)
        self.consumer = EventConsumer(self.bus, self.topology, settings)

    def _handle(self, event, uow):
        with self.lock:
            self.calls.append(event.id)
        if event.data.get("poison") or event.id in self.poison:
            raise RuntimeError(f"cannot handle {event.id}")
        uow.emit(caused_by(event, type="StepDone", data={"step": event.data["step"]}, source="intake",
                           subject=event.subject))

    def _handle_run(self, events, uow):
        for event in events:
            self._handle(event, uow)

    def declare(self):
        connection = blocking_connection(self.settings, "test-declare")
        try:
            self.topology.declare(connection.channel())
        finally:
            connection.close()

    def envelope(self, ticket: str, step: int, **extra):
        return new_envelope(type=self.event_type, data={"ticket_id": ticket, "step": step, **extra},
                            source="intake", subject=ticket, region="east", site="SH-01")

    def publish(self, *envelopes):
        publish_envelopes(self.settings.amqp_url, envelopes, app_id="intake")

    def effects(self) -> list:
        return effects_in(self.db)

    def batches(self) -> tuple[float, float]:
        labels = {"service": self.name}
        return (REGISTRY.get_sample_value("consumer_batch_size_count", labels) or 0.0,
                REGISTRY.get_sample_value("consumer_batch_size_sum", labels) or 0.0)


@pytest.fixture(params=["postgres", "sqlite"])
def db(request, outbox_db):
    return outbox_db(request.param)


@pytest.mark.parametrize("set_based", [False, True], ids=["handler", "bulk-handler"])
def test_a_backlog_is_committed_in_batches_with_one_effect_per_event_in_order(db, messaging_settings,
                                                                            start_consumer, set_based):
    service = Service(db, messaging_settings(consumer_batch_size=100), set_based=set_based)
    service.declare()
    sent = [service.envelope(f"T-{n % 7}", n) for n in range(600)]
    service.publish(*sent)

    start_consumer(service.consumer)
    wait_for(lambda: len(service.effects()) == len(sent), timeout=60,
             message=lambda: f"{len(service.effects())} of {len(sent)} handled")

    effects = service.effects()
    assert sorted(cause for cause, _, _ in effects) == sorted(e.id for e in sent)  # each exactly once
    for ticket in {e.subject for e in sent}:
        steps = [step for _, subject, step in effects if subject == ticket]
        assert steps == sorted(steps), f"events of {ticket} were handled out of order"
    batches, messages = service.batches()
    assert messages >= len(sent) - 1  # the first message after a start is taken alone
    assert batches <= len(sent) / 10, f"{batches} transactions for {len(sent)} messages: not batched"
    assert queue_depth(service.settings.amqp_url, service.topology.queue_name) == 0


@pytest.mark.parametrize("set_based", [False, True], ids=["handler", "bulk-handler"])
def test_a_poison_message_in_a_batch_is_parked_alone_while_the_rest_commit(db, messaging_settings,
                                                                           start_consumer, set_based):
    service = Service(db, messaging_settings(consumer_batch_size=50, retry_delays_ms=(50, 100),
                                             max_attempts=3), set_based=set_based)
    service.declare()
    sent = [service.envelope(f"T-{n % 5}", n) for n in range(120)]
    poison = service.envelope("T-P", 999, poison=True)
    sent.insert(60, poison)
    service.publish(*sent)

    start_consumer(service.consumer)
    [parked] = get_messages(service.settings.amqp_url, service.topology.dlq_name, count=1, timeout=30)
    assert parked.message_id == poison.id
    assert parked.headers["x-attempts"] == 3
    assert "cannot handle" in parked.headers["x-error"]

    wait_for(lambda: len(service.effects()) == len(sent) - 1, timeout=30, message="the rest never committed")
    effects = service.effects()
    assert sorted(cause for cause, _, _ in effects) == sorted(e.id for e in sent if e is not poison)
    for ticket in {e.subject for e in sent if e is not poison}:
        steps = [step for _, subject, step in effects if subject == ticket]
        assert steps == sorted(steps)
    time.sleep(0.3)
    assert queue_depth(service.settings.amqp_url, service.topology.dlq_name) == 0  # only the poison was parked
    assert len(service.effects()) == len(sent) - 1


def test_the_same_envelope_twice_in_one_batch_has_one_effect(db, messaging_settings, start_consumer):
    service = Service(db, messaging_settings())
    service.declare()
    first = service.envelope("T-1", 1)
    others = [service.envelope("T-2", n) for n in range(20)]
    service.publish(service.envelope("T-0", 0), first, first, *others, first)

    start_consumer(service.consumer)
    wait_for(lambda: len(service.effects()) == 22, timeout=30, message="not all handled")
    time.sleep(0.2)
    assert [cause for cause, _, _ in service.effects()].count(first.id) == 1
    assert len(service.effects()) == 22


def test_a_database_outage_pauses_the_consumer_and_parks_nothing(pg_database, tcp_proxy, messaging_settings,
                                                                 start_consumer):
    proxy = tcp_proxy("127.0.0.1", 5432)
    url = pg_database("outage")
    direct = OutboxDb.create(url)
    through_proxy = OutboxDb.create(proxy.url_for(url))  # the consumer reaches the database through a cut-able link
    settings = messaging_settings(retry_delays_ms=(50, 50), max_attempts=2, dependency_max_backoff_seconds=0.5)
    service = Service(through_proxy, settings)
    service.declare()
    start_consumer(service.consumer)
    service.publish(*[service.envelope("T-1", n) for n in range(5)])
    wait_for(lambda: len(effects_in(direct)) == 5, timeout=20, message="first events not handled")

    proxy.stop_accepting_and_cut()
    try:
        later = [service.envelope("T-1", n) for n in range(5, 25)]
        service.publish(*later)
        wait_for(lambda: not service.consumer.ready, timeout=20, message="the consumer never noticed the outage")
        time.sleep(2.0)  # several retry delays: an attempt counted now would have parked the messages
        assert queue_depth(settings.amqp_url, service.topology.dlq_name) == 0
        assert all(queue_depth(settings.amqp_url, q.name) == 0 for q in service.topology.retry_queues())
        assert REGISTRY.get_sample_value("consumer_paused", {"service": service.name}) == 1
    finally:
        proxy.resume()

    wait_for(lambda: len(effects_in(direct)) == 25, timeout=30,
             message="the held events were not handled after the database came back")
    assert [step for _, _, step in effects_in(direct)] == list(range(25))
    assert queue_depth(settings.amqp_url, service.topology.dlq_name) == 0
    assert not REGISTRY.get_sample_value("events_consumed_total",
                                         {"service": service.name, "type": service.event_type, "outcome": "retried"})
    assert service.consumer.ready
    through_proxy.dispose()
    direct.dispose()
