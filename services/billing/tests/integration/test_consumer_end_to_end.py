import pytest
from sqlalchemy import select

from aftersales_shared.consumer import EventConsumer
from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing.amqp import get_messages, publish_envelope
from aftersales_shared.testing.contract import assert_conforms

from billing.adapters.tables import outbox, settlements
from billing.bootstrap import MIGRATIONS, bootstrap
from billing.config import Settings

pytestmark = pytest.mark.integration


def test_a_repair_is_settled_over_the_broker_and_an_unpriceable_one_is_parked_with_its_error(
    pg_database, messaging_settings, wire_tap, start_consumer, start_relay, repair_completed
):
    database_url = pg_database("billing_e2e")
    migration_engine = make_engine(database_url)
    upgrade(MIGRATIONS, migration_engine)
    migration_engine.dispose()
    settings = messaging_settings()
    billing = bootstrap(Settings(database_url=database_url, messaging=settings))
    runtime = billing.runtime
    tap = wire_tap(binding_keys=("SettlementPosted.#",))
    start_consumer(EventConsumer(runtime.bus, runtime.topology, settings))
    start_relay(OutboxRelay("billing", runtime.engine, runtime.outbox, settings))

    good = repair_completed(ticket_id="T-E2E", work_order_id="WO-E2E")
    unpriceable = repair_completed(ticket_id="T-E2E", work_order_id="WO-BAD",
                                   parts_used=[{"part_no": "XYZ-999", "qty": 1}])
    publish_envelope(settings.amqp_url, good)
    publish_envelope(settings.amqp_url, good)
    publish_envelope(settings.amqp_url, unpriceable)

    (parked,) = get_messages(settings.amqp_url, runtime.topology.dlq_name, count=1, timeout=15)
    assert parked.message_id == unpriceable.id
    assert "XYZ-999" in parked.headers["x-error"]
    assert parked.headers["x-attempts"] == settings.max_attempts

    (received,) = tap.wait_until(lambda messages: len(messages) >= 1, timeout=15)
    announcement = received.json()
    assert_conforms(announcement)
    assert announcement["causation_id"] == good.id
    assert announcement["data"]["work_order_id"] == "WO-E2E"
    with runtime.engine.connect() as connection:
        assert connection.execute(select(settlements.c.work_order_id)).scalars().all() == ["WO-E2E"]
        assert connection.execute(select(outbox.c.event_type)).scalars().all() == ["SettlementPosted"]
    assert len(tap.messages) == 1
    runtime.dispose()
