"""`make bench`: the outbox relay's confirmed publish rate against raw pika publishing measured in the same
run on the same broker, and the consumer's throughput with inbox and a database write per message.

Needs the local PostgreSQL and RabbitMQ (PG_ADMIN_URL / AMQP_URL override them). Everything it creates
(a broker vhost, a database) is named per run and removed at the end.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import pika
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from aftersales_shared.bus import EventBus
from aftersales_shared.config import MessagingSettings
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.db import make_engine
from aftersales_shared.envelope import new_envelope
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.tables import inbox_table, outbox_table
from aftersales_shared.testing.amqp import create_vhost, delete_vhost
from aftersales_shared.testing.postgres import create_database, drop_database
from aftersales_shared.topology import Topology
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork
from marshmallow import EXCLUDE, Schema, fields

BASE_AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
N_PUBLISH = int(os.environ.get("BENCH_PUBLISH", "20000"))
N_CONSUME = int(os.environ.get("BENCH_CONSUME", "5000"))
SINK = "bench.sink"

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
effects = Table("bench_effects", metadata, Column("id", Integer, primary_key=True),
                Column("ticket_id", String(64), nullable=False))


def sample_envelope(i: int):
    ticket = f"T-{i:07d}"
    return new_envelope(type="BenchHappened", source="intake", subject=ticket, region="east", site="SH-01",
                        data={"ticket_id": ticket, "note": "x" * 600, "parts": [{"part_no": "PCB-100", "qty": 1}]})


def sink_depth(channel) -> int:
    return channel.queue_declare(SINK, durable=True, passive=True).method.message_count


def prepare_sink(url: str):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare("aftersales.events", "topic", durable=True)
    channel.queue_declare(SINK, durable=True)
    channel.queue_bind(SINK, "aftersales.events", "BenchHappened.#")
    channel.queue_purge(SINK)
    return connection, channel


def wait_depth(channel, expected: int) -> None:
    while sink_depth(channel) < expected:
        time.sleep(0.01)


def bench_raw_pika(url: str, bodies: list[str], confirms: bool) -> float:
    connection, channel = prepare_sink(url)
    publisher = connection.channel()
    if confirms:
        publisher.confirm_delivery()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    started = time.perf_counter()
    for body in bodies:
        publisher.basic_publish("aftersales.events", "BenchHappened.east.SH-01", body, properties)
    wait_depth(channel, len(bodies))
    elapsed = time.perf_counter() - started
    channel.queue_purge(SINK)
    connection.close()
    return len(bodies) / elapsed


def bench_relay(url: str, engine, count: int) -> float:
    connection, channel = prepare_sink(url)
    with engine.begin() as db:
        db.execute(text("DELETE FROM outbox"))
    for start in range(0, count, 1000):
        with SqlAlchemyUnitOfWork(engine, outbox, inbox) as uow:
            for i in range(start, min(start + 1000, count)):
                uow.emit(sample_envelope(i))
            uow.commit()
    relay = OutboxRelay("intake", engine, outbox, MessagingSettings(amqp_url=url))
    started = time.perf_counter()
    while relay.relay_once():
        pass
    elapsed = time.perf_counter() - started
    relay.publisher.close()
    assert sink_depth(channel) == count, "every outbox row must have reached the broker"
    channel.queue_purge(SINK)
    connection.close()
    return count / elapsed


class _Data(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True)


def bench_consumer(url: str, engine, count: int) -> float:
    settings = MessagingSettings(amqp_url=url, prefetch=50)

    def record_effect(event, uow):
        uow.connection.execute(insert(effects).values(ticket_id=event.data["ticket_id"]))

    bus = EventBus(lambda: SqlAlchemyUnitOfWork(engine, outbox, inbox), {"BenchHappened": record_effect},
                   {"BenchHappened": _Data()})
    topology = Topology("bench", ("BenchHappened",), settings)
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    consumer = EventConsumer(bus, topology, settings)
    with consumer.connection.channel() as declare_channel:
        topology.declare(declare_channel)
    channel.queue_purge(topology.queue_name)
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    for i in range(count):
        envelope = sample_envelope(i)
        channel.basic_publish("aftersales.events", envelope.routing_key, envelope.to_json(), properties)
    while channel.queue_declare(topology.queue_name, durable=True, passive=True).method.message_count < count:
        time.sleep(0.01)
    connection.close()

    thread = threading.Thread(target=consumer.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    while True:
        with engine.connect() as db:
            done = db.execute(select(func.count()).select_from(effects)).scalar()
        if done >= count:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    consumer.should_stop = True
    thread.join(timeout=10)
    return count / elapsed


def main() -> int:
    run = uuid.uuid4().hex[:8]
    vhost, database = f"bench-{run}", f"bench_{run}"
    url = create_vhost(BASE_AMQP_URL, vhost)
    engine = make_engine(create_database(database))
    try:
        metadata.create_all(engine)
        bodies = [sample_envelope(i).to_json() for i in range(N_PUBLISH)]
        raw = bench_raw_pika(url, bodies, confirms=False)
        raw_confirmed = bench_raw_pika(url, bodies[: max(1, N_PUBLISH // 4)], confirms=True)
        relay = bench_relay(url, engine, N_PUBLISH)
        consumed = bench_consumer(url, engine, N_CONSUME)
    finally:
        engine.dispose()
        drop_database(database)
        delete_vhost(BASE_AMQP_URL, vhost)
    print(f"messages: {N_PUBLISH} published, {N_CONSUME} consumed; body ~{len(bodies[0])} bytes; persistent")
    print(f"{'raw pika publish (no confirms), baseline':<52}{raw:>10.0f} msg/s")
    print(f"{'raw pika publish, one confirm per message':<52}{raw_confirmed:>10.0f} msg/s")
    print(f"{'outbox relay (PostgreSQL, batched confirms)':<52}{relay:>10.0f} msg/s  "
          f"= {100 * relay / raw:.0f}% of baseline (target >= 50%)")
    print(f"{'consumer (inbox + one row written per message)':<52}{consumed:>10.0f} msg/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
