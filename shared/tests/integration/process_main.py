"""A consumer or relay as a process of its own, for tests that kill, pause or crash it.

    python process_main.py consumer <database url> <amqp url> <service> <event type> <delivery limit>
    python process_main.py relay <database url> <amqp url> <service>

The consumer's handler records one outbox row per event and kills the process outright
(``os._exit``, no exception, no cleanup) on an event whose data says ``"crash": true``.
"""
import logging
import os
import signal
import sys

from marshmallow import EXCLUDE, Schema, fields

from aftersales_shared.bus import EventBus
from aftersales_shared.config import MessagingSettings
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.envelope import caused_by
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing.outbox import OutboxDb
from aftersales_shared.topology import Topology


class AnyData(Schema):
    class Meta:
        unknown = EXCLUDE

    crash = fields.Boolean(load_default=False)


def handle(event, uow):
    if event.data.get("crash"):
        os._exit(3)
    uow.emit(caused_by(event, type="Handled", data={}, source="intake", subject=event.subject))


def main(argv):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    role, database_url, amqp_url, service = argv[:4]
    db = OutboxDb.create(database_url)
    if role == "consumer":
        event_type, limit = argv[4], int(argv[5])
        settings = MessagingSettings(amqp_url=amqp_url, delivery_limit=limit, consumer_batch_size=20)
        bus = EventBus(db.uow, {event_type: handle}, {event_type: AnyData()})
        consumer = EventConsumer(bus, Topology(service, (event_type,), settings), settings)
        signal.signal(signal.SIGTERM, lambda *_: setattr(consumer, "should_stop", True))
        consumer.run(safety_interval=0.2)
    else:
        settings = MessagingSettings(amqp_url=amqp_url, relay_idle_seconds=0.1, relay_max_backoff_seconds=0.5)
        relay = OutboxRelay(service, db.engine, db.outbox, settings)
        signal.signal(signal.SIGTERM, lambda *_: relay.stop())
        print(f"relay {os.getpid()} started", flush=True)
        relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
