import pytest
from sqlalchemy import select

from aftersales_shared.consumer import EventConsumer
from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing.amqp import get_messages, publish_envelope
from aftersales_shared.testing.contract import assert_conforms
from aftersales_shared.testing.helpers import wait_for

from billing.adapters.tables import awaiting_settlements, outbox, settlements
from billing.bootstrap import MIGRATIONS, bootstrap
from billing.config import Settings
from billing_events import catalogue_events, part_price_changed

pytestmark = pytest.mark.integration


@pytest.fixture
def running_billing(pg_database, messaging_settings, wire_tap, start_consumer, start_relay):
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
    yield billing, settings, tap
    runtime.dispose()


def test_a_repair_is_settled_over_the_broker_with_the_prices_inventory_published(running_billing, repair_completed):
    billing, settings, tap = running_billing
    for price in catalogue_events():
        publish_envelope(settings.amqp_url, price)
    good = repair_completed(ticket_id="T-E2E", work_order_id="WO-E2E")
    publish_envelope(settings.amqp_url, good)
    publish_envelope(settings.amqp_url, good)

    (received,) = tap.wait_until(lambda messages: len(messages) >= 1, timeout=15)
    announcement = received.json()
    assert_conforms(announcement)
    assert announcement["causation_id"] == good.id
    assert announcement["data"]["totals"]["manufacturer"] == "265.00"
    with billing.runtime.engine.connect() as connection:
        assert connection.execute(select(settlements.c.work_order_id)).scalars().all() == ["WO-E2E"]
        assert connection.execute(select(outbox.c.event_type)).scalars().all() == ["SettlementPosted"]
    assert len(tap.messages) == 1


def test_a_repair_completed_before_its_price_waits_never_dead_letters_and_posts_when_the_price_arrives(
    running_billing, repair_completed
):
    billing, settings, tap = running_billing
    early = repair_completed(ticket_id="T-EARLY", work_order_id="WO-EARLY",
                             parts_used=[{"part_no": "NEW-9", "qty": 2}])
    publish_envelope(settings.amqp_url, early)

    def held():
        with billing.runtime.engine.connect() as connection:
            return connection.execute(select(awaiting_settlements.c.work_order_id)).scalars().all()

    wait_for(lambda: held() == ["WO-EARLY"], timeout=15, message="the job was not held")
    assert tap.messages == []

    price = part_price_changed("NEW-9", "41.20", "66.00", description="Door hinge")
    publish_envelope(settings.amqp_url, price)

    (received,) = tap.wait_until(lambda messages: len(messages) >= 1, timeout=15)
    announcement = received.json()
    assert_conforms(announcement)
    assert announcement["causation_id"] == price.id
    assert received.routing_key == "SettlementPosted.east.SH-01"
    assert [line["amount"] for line in announcement["data"]["lines"]] == ["60.00", "82.40"]  # 2 x 41.20 at cost
    assert held() == []
    assert get_messages(settings.amqp_url, billing.runtime.topology.dlq_name) == []
