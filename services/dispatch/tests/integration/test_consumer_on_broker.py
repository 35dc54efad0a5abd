import pytest
from sqlalchemy import select

from aftersales_shared.consumer import EventConsumer
from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing.amqp import get_messages, publish_envelope
from aftersales_shared.testing.contract import assert_conforms

from dispatch.adapters.tables import outbox
from dispatch.bootstrap import MIGRATIONS, bootstrap
from dispatch.config import Settings
from dispatch.service_layer import handlers

from samples import engineer, part_reserved, ticket_created

pytestmark = pytest.mark.integration


def test_a_ticket_over_the_broker_is_assigned_once_and_an_unreadable_one_is_parked(
    pg_database, messaging_settings, wire_tap, start_consumer, start_relay
):
    database_url = pg_database("dispatch_bus")
    migration_engine = make_engine(database_url)
    upgrade(MIGRATIONS, migration_engine)
    migration_engine.dispose()
    settings = messaging_settings()
    dispatch = bootstrap(Settings(database_url=database_url, messaging=settings))
    runtime = dispatch.runtime
    handlers.register_engineer(engineer("E-1"), dispatch.uow_factory(), events=dispatch.events)
    tap = wire_tap(binding_keys=("EngineerAssigned.#",))
    start_consumer(EventConsumer(runtime.bus, runtime.topology, settings))
    start_relay(OutboxRelay("dispatch", runtime.engine, runtime.outbox, settings))

    ticket = ticket_created()
    ticket_id = ticket.data["ticket_id"]
    unreadable = ticket_created(service_type="teleport")
    for envelope in (part_reserved(ticket_id), ticket, ticket, unreadable):
        publish_envelope(settings.amqp_url, envelope)

    (parked,) = get_messages(settings.amqp_url, runtime.topology.dlq_name, count=1, timeout=15)
    assert parked.message_id == unreadable.id
    assert "service_type" in parked.headers["x-error"]
    (received,) = tap.wait_until(lambda messages: len(messages) >= 1, timeout=15)
    announcement = received.json()
    assert_conforms(announcement)
    assert received.routing_key == "EngineerAssigned.east.SH-01"
    assert announcement["causation_id"] == ticket.id
    assert announcement["data"]["engineer_id"] == "E-1"
    with dispatch.uow_factory() as uow:
        [work_order] = uow.work_orders.list(ticket_id=ticket_id)
    assert (work_order.status, work_order.parts_status) == ("assigned", "reserved")
    with runtime.engine.connect() as connection:
        assert connection.execute(select(outbox.c.event_type)).scalars().all() == ["EngineerAssigned"]
    runtime.dispose()
