"""The messaging path, stage by stage, each next to a raw pika baseline measured on the same broker:

- publish: raw pika without confirms (baseline), with one confirm per message, with all confirms
  collected asynchronously (the most a confirming publisher can do on this broker), and the relay;
- consume: raw pika basic_consume + ack (baseline) against ``EventConsumer`` with the inbox and one
  row written per message, row by row and by a set-based bulk handler, on PostgreSQL and on SQLite;
- relay hop latency: a steady trickle of outbox rows, commit → broker confirm and commit → delivered
  to a bound queue, against raw pika publish (confirm per message) → delivered at the same pace.

Every stage builds what it measures through the shared plumbing's public API (``OutboxRelay``,
``EventConsumer(bus, topology, settings).run()``, ``SqlAlchemyUnitOfWork``), with the settings a
service would read from this environment, so one script measures the code before and after a change.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pika
import pika.exceptions
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from aftersales_shared.bus import EventBus
from aftersales_shared.config import MessagingSettings
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.db import make_engine
from aftersales_shared.envelope import EXCHANGE, new_envelope
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.tables import inbox_table, outbox_table
from aftersales_shared.testing.amqp import connect
from aftersales_shared.topology import Topology
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

from .measure import CpuWindow, latency_summary

ROOT = Path(__file__).resolve().parents[1]

SINK = "bench.sink"
NOTE = "x" * 600  # bodies of a realistic size (a TicketCreated is about 1 kB)


def tables() -> tuple[MetaData, Table, Table, Table]:
    metadata = MetaData()
    effects = Table("bench_effects", metadata, Column("id", Integer, primary_key=True),
                    Column("ticket_id", String(64), nullable=False))
    return metadata, outbox_table(metadata), inbox_table(metadata), effects


def messaging_settings(amqp_url: str, **overrides) -> MessagingSettings:
    """What a service would read from this environment, on ``amqp_url``; overrides for fields this
    version of the plumbing does not know are ignored (and reported by ``describe_settings``)."""
    settings = MessagingSettings.from_env({**os.environ, "AMQP_URL": amqp_url})
    known = {f.name for f in dataclasses.fields(MessagingSettings)}
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if k in known and v is not None})


def describe_settings(settings: MessagingSettings) -> dict:
    """The consumer and relay knobs in force; ``None`` where this version has no such setting."""
    return {
        "consumer_batch_size": getattr(settings, "consumer_batch_size", None),
        "prefetch": consumer_prefetch(settings),
        "queue_type": getattr(settings, "queue_type", "classic"),
        "relay_batch_size": settings.relay_batch_size,
        "relay_idle_seconds": settings.relay_idle_seconds,
    }


def consumer_prefetch(settings: MessagingSettings) -> int:
    return getattr(settings, "consumer_prefetch", None) or settings.prefetch


def envelope(event_type: str, i: int, **extra):
    ticket = f"T-{i:07d}"
    return new_envelope(type=event_type, source="intake", subject=ticket, region="east", site="SH-01",
                        data={"ticket_id": ticket, "note": NOTE, "parts": [{"part_no": "PCB-100", "qty": 1}],
                              **extra})


def queue_depth(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def wait_until(predicate, timeout: float, what: str, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# -- topology -----------------------------------------------------------------------------------------

class _Data(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True)


def consumer_bus(engine, outbox, inbox, effects, event_type: str, set_based: bool = False) -> EventBus:
    """One effect row per event: written row by row by a handler (the way most handlers write), or
    by a bulk handler that writes a run of events with one statement."""
    record = insert(effects)  # built once, as the services' handlers build theirs

    def record_effect(event, uow):
        uow.connection.execute(record, {"ticket_id": event.data["ticket_id"]})

    def record_effects(events, uow):
        uow.connection.execute(record, [{"ticket_id": event.data["ticket_id"]} for event in events])

    uow_factory = lambda: SqlAlchemyUnitOfWork(engine, outbox, inbox)  # noqa: E731
    if set_based:
        return EventBus(uow_factory, {}, {event_type: _Data()}, bulk_handlers={event_type: record_effects})
    return EventBus(uow_factory, {event_type: record_effect}, {event_type: _Data()})


def run_consumer(consumer: EventConsumer) -> threading.Thread:
    errors: list[BaseException] = []

    def target():
        try:
            consumer.run()
        except BaseException as exc:  # noqa: BLE001 - reported by stop_consumer
            errors.append(exc)

    thread = threading.Thread(target=target, name=f"consumer-{consumer.topology.service}", daemon=True)
    thread.errors = errors
    thread.start()
    return thread


def stop_consumer(consumer: EventConsumer, thread: threading.Thread) -> None:
    consumer.should_stop = True
    thread.join(timeout=30)
    for release in (getattr(consumer, "close", None), getattr(getattr(consumer, "connection", None), "release", None)):
        if callable(release):
            try:
                release()
            except Exception:  # noqa: BLE001 - best effort after the measurement
                pass
    if thread.errors:
        raise RuntimeError(f"consumer {consumer.topology.service} crashed: {thread.errors[0]!r}")
    if thread.is_alive():
        raise RuntimeError(f"consumer {consumer.topology.service} did not stop within 30s")


def prime(url: str, bus: EventBus, topology: Topology, settings: MessagingSettings) -> None:
    """Lets the consumer declare its own queues and exchanges (with whatever arguments this version of the
    plumbing gives them), then stops it: messages can then be queued up before the measured run."""
    consumer = EventConsumer(bus, topology, settings)
    thread = run_consumer(consumer)
    connection = connect(url)
    try:
        def consuming() -> bool:
            if thread.errors:
                raise RuntimeError(f"consumer crashed: {thread.errors[0]!r}")
            channel = connection.channel()
            try:
                return channel.queue_declare(topology.queue_name, passive=True).method.consumer_count > 0
            except pika.exceptions.ChannelClosedByBroker:
                return False
            finally:
                if channel.is_open:
                    channel.close()

        wait_until(consuming, 30, f"a consumer on {topology.queue_name}", interval=0.05)
    finally:
        connection.close()
    stop_consumer(consumer, thread)


# -- publishing ---------------------------------------------------------------------------------------

def prepare_sink(url: str, binding: str = "BenchHappened.#"):
    connection = connect(url)
    channel = connection.channel()
    channel.queue_declare(SINK, durable=True)
    channel.queue_bind(SINK, EXCHANGE, binding)
    channel.queue_purge(SINK)
    return connection, channel


def publish_raw(url: str, bodies: list[str], confirms: bool) -> dict:
    connection, channel = prepare_sink(url)
    publisher = connection.channel()
    if confirms:
        publisher.confirm_delivery()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    with CpuWindow() as cpu:
        started = time.perf_counter()
        for body in bodies:
            publisher.basic_publish(EXCHANGE, "BenchHappened.east.SH-01", body, properties)
        wait_until(lambda: queue_depth(channel, SINK) >= len(bodies), 120, "the sink to fill")
        elapsed = time.perf_counter() - started
    channel.queue_purge(SINK)
    connection.close()
    return {"messages": len(bodies), "per_s": round(len(bodies) / elapsed), "cpu": cpu.as_dict()}


def publish_raw_confirmed(url: str, bodies: list[str]) -> dict:
    """Baseline for a publisher that must know its messages are safe: raw pika on its asynchronous
    connection, everything written at once, the clock stopped at the broker's last confirm."""
    connection, channel = prepare_sink(url)
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    state = {"acked": 0, "error": None}

    def on_confirm(frame) -> None:
        method = frame.method
        if isinstance(method, pika.spec.Basic.Nack):
            state["error"] = f"broker refused message {method.delivery_tag}"
        state["acked"] = method.delivery_tag if method.multiple else state["acked"] + 1
        if state["acked"] >= len(bodies) or state["error"]:
            publisher.ioloop.stop()

    def on_channel(ch) -> None:
        ch.confirm_delivery(on_confirm)
        for body in bodies:
            ch.basic_publish(EXCHANGE, "BenchHappened.east.SH-01", body, properties)

    def on_failure(_connection, error) -> None:
        if not state.get("closing"):
            state["error"] = f"connection failed: {error}"
        publisher.ioloop.stop()

    publisher = pika.SelectConnection(pika.URLParameters(url),
                                      on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
                                      on_open_error_callback=on_failure, on_close_callback=on_failure)
    with CpuWindow() as cpu:
        started = time.perf_counter()
        timer = publisher.ioloop.call_later(120, lambda: on_failure(publisher, "no confirms within 120 s"))
        publisher.ioloop.start()
        elapsed = time.perf_counter() - started
    publisher.ioloop.remove_timeout(timer)
    if publisher.is_open:
        state["closing"] = True
        publisher.close()
        publisher.ioloop.start()  # runs until the close completes
    if state["error"]:
        raise RuntimeError(state["error"])
    wait_until(lambda: queue_depth(channel, SINK) >= len(bodies), 60, "the sink to fill")
    channel.queue_purge(SINK)
    connection.close()
    return {"messages": len(bodies), "per_s": round(len(bodies) / elapsed), "cpu": cpu.as_dict()}


def relay_throughput(url: str, database_url: str, count: int) -> dict:
    """A backlog of ``count`` outbox rows published by ``relay_once`` until none is left."""
    metadata, outbox, inbox, _ = tables()
    engine = make_engine(database_url)
    try:
        metadata.create_all(engine)
        connection, channel = prepare_sink(url)
        for start in range(0, count, 1000):
            with SqlAlchemyUnitOfWork(engine, outbox, inbox) as uow:
                for i in range(start, min(start + 1000, count)):
                    uow.emit(envelope("BenchHappened", i))
                uow.commit()
        relay = OutboxRelay("bench", engine, outbox, messaging_settings(url))
        with CpuWindow() as cpu:
            started = time.perf_counter()
            while relay.relay_once():
                pass
            elapsed = time.perf_counter() - started
        relay.publisher.close()
        getattr(relay, "release_leadership", lambda: None)()
        wait_until(lambda: queue_depth(channel, SINK) >= count, 30, "every relayed row in the sink")
        arrived = queue_depth(channel, SINK)
        channel.queue_purge(SINK)
        connection.close()
        if arrived != count:
            raise RuntimeError(f"{count} rows relayed but {arrived} messages arrived")
    finally:
        engine.dispose()
    return {"messages": count, "per_s": round(count / elapsed), "cpu": cpu.as_dict()}


# -- consuming ----------------------------------------------------------------------------------------

def _fill_queue(url: str, event_type: str, queue: str, count: int) -> None:
    connection = connect(url)
    channel = connection.channel()
    for i in range(count):
        event = envelope(event_type, i)
        channel.basic_publish(EXCHANGE, event.routing_key, event.to_json(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                   message_id=event.id, type=event.type, app_id="intake"))
    wait_until(lambda: queue_depth(channel, queue) >= count, 120, f"{count} messages in {queue}")
    connection.close()


def consumer_rate(url: str, database_url: str, count: int, label: str, set_based: bool = False,
                  **overrides) -> dict:
    """``count`` queued events through ``EventConsumer.run()``: inbox claim plus one row each."""
    event_type = f"BenchConsumed{label.capitalize()}{'Bulk' if set_based else ''}"
    metadata, outbox, inbox, effects = tables()
    engine = make_engine(database_url)
    settings = messaging_settings(url, **overrides)
    topology = Topology(f"bench-{label}{'-bulk' if set_based else ''}", (event_type,), settings)
    try:
        metadata.create_all(engine)
        bus = consumer_bus(engine, outbox, inbox, effects, event_type, set_based)
        prime(url, bus, topology, settings)
        _fill_queue(url, event_type, topology.queue_name, count)

        def counts() -> tuple[int, int]:
            with engine.connect() as db:
                return (db.execute(select(func.count()).select_from(effects)).scalar(),
                        db.execute(select(func.count()).select_from(inbox)).scalar())

        # The database may hold an earlier stage's rows: what this stage adds is what counts.
        before = counts()

        def done() -> int:
            return counts()[0] - before[0]

        consumer = EventConsumer(bus, topology, settings)
        with CpuWindow() as cpu:
            started = time.perf_counter()
            thread = run_consumer(consumer)
            while done() < count:
                if thread.errors:
                    raise RuntimeError(f"consumer crashed: {thread.errors[0]!r}")
                if time.perf_counter() - started > 300:
                    raise RuntimeError(f"consumer handled {done()} of {count} in 300s")
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        stop_consumer(consumer, thread)
        rows, claimed = (now - then for now, then in zip(counts(), before))
        if (rows, claimed) != (count, count):
            raise RuntimeError(f"{count} events gave {rows} effect rows and {claimed} inbox rows")
    finally:
        engine.dispose()
    return {"messages": count, "per_s": round(count / elapsed), "cpu": cpu.as_dict(),
            "settings": describe_settings(settings), "handler": "set-based" if set_based else "row by row"}


def raw_consume(url: str, count: int, **overrides) -> dict:
    """Baseline: the same messages from the same kind of queue (declared by the plumbing's topology),
    taken with pika basic_consume and acked one by one, with the consumer's prefetch; no database."""
    event_type = "BenchConsumedRaw"
    settings = messaging_settings(url, **overrides)
    topology = Topology("bench-raw", (event_type,), settings)
    metadata, outbox, inbox, effects = tables()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/unused.db")
        prime(url, consumer_bus(engine, outbox, inbox, effects, event_type), topology, settings)
        engine.dispose()
    _fill_queue(url, event_type, topology.queue_name, count)
    connection = connect(url)
    channel = connection.channel()
    channel.basic_qos(prefetch_count=consumer_prefetch(settings))
    received = 0

    def on_message(ch, method, _properties, _body):
        nonlocal received
        ch.basic_ack(method.delivery_tag)
        received += 1

    with CpuWindow() as cpu:
        started = time.perf_counter()
        channel.basic_consume(topology.queue_name, on_message)
        while received < count:
            connection.process_data_events(time_limit=0.05)
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"raw consume got {received} of {count} in 120s")
        elapsed = time.perf_counter() - started
    connection.close()
    return {"messages": count, "per_s": round(count / elapsed), "cpu": cpu.as_dict(),
            "prefetch": consumer_prefetch(settings)}


# -- relay hop latency --------------------------------------------------------------------------------

class Arrivals:
    """A pika consumer on its own queue bound to ``binding``; wall-clock arrival time per message id."""

    def __init__(self, url: str, binding: str):
        self.at: dict[str, float] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._url, self._binding = url, binding
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="arrivals", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self.error:
            raise RuntimeError(f"latency consumer did not start: {self.error!r}")

    def _run(self) -> None:
        try:
            connection = connect(self._url)
            channel = connection.channel()
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, EXCHANGE, self._binding)
            channel.basic_consume(queue, self._on_message, auto_ack=True)
        except BaseException as exc:  # noqa: BLE001 - reported to the constructor
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            connection.process_data_events(time_limit=0.02)
        connection.close()

    def _on_message(self, _channel, _method, properties, _body) -> None:
        self.at[properties.message_id] = time.time()

    def wait_for(self, ids, timeout: float) -> None:
        wait_until(lambda: all(i in self.at for i in ids), timeout, f"{len(ids)} messages to arrive")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def relay_main() -> None:
    """Entry of the relay process (``python -c``): ``OutboxRelay(...).run()`` until SIGTERM, as a service runs it."""
    database_url, amqp_url = sys.argv[1:3]
    _, outbox, _, _ = tables()
    engine = make_engine(database_url)
    relay = OutboxRelay("bench", engine, outbox, messaging_settings(amqp_url))
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    relay.run()
    engine.dispose()


def start_relay_process(database_url: str, amqp_url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-c", "from bench.messaging import relay_main; relay_main()",
                             database_url, amqp_url], env=env, cwd=ROOT)


def _trickle(count: int, rate: float, send) -> None:
    started = time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        send(i)


def relay_latency(url: str, database_url: str, label: str, count: int, rate: float) -> dict:
    """``count`` outbox rows committed one by one at ``rate`` per second while the relay runs in its own
    process; per row: commit → marked sent after the broker's confirm, and commit → delivered."""
    event_type = f"BenchRelayed{label.capitalize()}"
    metadata, outbox, inbox, _ = tables()
    engine = make_engine(database_url)
    metadata.create_all(engine)
    arrivals = Arrivals(url, f"{event_type}.#")
    relay = start_relay_process(database_url, url)
    committed: dict[str, float] = {}

    def write(i: int) -> None:
        event = envelope(event_type, i, written_at=time.time())
        with SqlAlchemyUnitOfWork(engine, outbox, inbox) as uow:
            uow.emit(event)
            uow.commit()
        committed[event.id] = time.time()

    try:
        # Warm up: the relay process is connected and has published before the clock matters.
        for i in range(3):
            write(-1 - i)
        arrivals.wait_for(list(committed), 60)
        committed.clear()
        with CpuWindow((relay.pid,), "relay") as cpu:
            _trickle(count, rate, write)
            arrivals.wait_for(list(committed), 60)
        with engine.connect() as db:
            sent = dict(db.execute(select(outbox.c.event_id, outbox.c.sent_at)
                                   .where(outbox.c.event_id.in_(list(committed)))).all())
        if any(sent.get(i) is None for i in committed):
            # Delivered but not yet marked: the mark follows the confirm; give it a moment.
            time.sleep(1)
            with engine.connect() as db:
                sent = dict(db.execute(select(outbox.c.event_id, outbox.c.sent_at)
                                       .where(outbox.c.event_id.in_(list(committed)))).all())
    finally:
        relay.terminate()
        try:
            relay.wait(timeout=30)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait()
        arrivals.close()
        engine.dispose()
    to_confirmed = [sent[i].timestamp() - t for i, t in committed.items() if sent.get(i) is not None]
    to_delivered = [arrivals.at[i] - t for i, t in committed.items()]
    return {"messages": count, "rate_per_s": rate,
            "commit_to_confirmed": latency_summary(to_confirmed),
            "commit_to_delivered": latency_summary(to_delivered),
            "relay_exit_code": relay.returncode, "cpu": cpu.as_dict()}


def raw_publish_latency(url: str, count: int, rate: float) -> dict:
    """Baseline for the relay hop: pika publishes each message with a confirm, at the same pace;
    publish → confirmed and publish → delivered on a bound queue."""
    event_type = "BenchPublishedRaw"
    arrivals = Arrivals(url, f"{event_type}.#")
    connection = connect(url)
    channel = connection.channel()
    channel.confirm_delivery()
    sent: dict[str, float] = {}
    confirmed: dict[str, float] = {}

    def send(i: int) -> None:
        event = envelope(event_type, i)
        sent[event.id] = time.time()
        channel.basic_publish(EXCHANGE, event.routing_key, event.to_json(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                   message_id=event.id, type=event.type))
        confirmed[event.id] = time.time()

    try:
        send(-1)
        arrivals.wait_for(list(sent), 30)
        sent.clear()
        confirmed.clear()
        _trickle(count, rate, send)
        arrivals.wait_for(list(sent), 30)
    finally:
        connection.close()
        arrivals.close()
    return {"messages": count, "rate_per_s": rate,
            "publish_to_confirmed": latency_summary([confirmed[i] - t for i, t in sent.items()]),
            "publish_to_delivered": latency_summary([arrivals.at[i] - t for i, t in sent.items()])}


def declare_exchanges(url: str) -> None:
    """The exchanges as the plumbing declares them, before anything here publishes into them."""
    event_type = "BenchPrimed"
    settings = messaging_settings(url)
    metadata, outbox, inbox, effects = tables()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/primer.db")
        prime(url, consumer_bus(engine, outbox, inbox, effects, event_type),
              Topology("bench-primer", (event_type,), settings), settings)
        engine.dispose()
