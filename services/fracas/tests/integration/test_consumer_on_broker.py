"""FRACAS's consumer process wiring: its queue, bindings and handlers against the real broker and PostgreSQL."""
from datetime import date

import pytest

from aftersales_shared.consumer import EventConsumer
from aftersales_shared.migrations import upgrade
from aftersales_shared.testing import wait_for
from aftersales_shared.testing.amqp import get_messages, publish_envelope
from event_builders import repair_completed, settlement_posted, ticket_created
from fracas.bootstrap import bootstrap
from fracas.config import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def fracas(pg_database, messaging_settings):
    container = bootstrap(Settings(database_url=pg_database("fracas"), messaging=messaging_settings()))
    upgrade(container.runtime.migrations_dir, container.runtime.engine)
    yield container
    container.runtime.dispose()


def test_events_of_a_ticket_in_any_order_end_up_as_one_costed_failure_report(fracas, start_consumer):
    runtime = fracas.runtime
    start_consumer(EventConsumer(runtime.bus, runtime.topology, runtime.messaging))
    repair = repair_completed("WO-Q1", "T-Q1", serial="SN-Q1", purchase_date=date(2024, 1, 2))

    for envelope in (settlement_posted("WO-Q1", "T-Q1", manufacturer="88.00"), repair,
                     ticket_created("T-Q1", serial="SN-Q1", first_open_failure=True), repair):
        publish_envelope(runtime.messaging.amqp_url, envelope, app_id=envelope.source)

    def costed_report():
        with fracas.uow_factory() as uow:
            records = uow.failures.for_ticket("T-Q1")
        return records if records and records[0].cost and records[0].first_open_failure is not None else None

    [record] = wait_for(costed_report, timeout=15, message="no costed failure report for T-Q1")
    assert str(record.cost.manufacturer) == "88.00"
    assert record.first_open_failure is True


def test_a_malformed_repair_report_is_parked_in_the_dead_letter_queue(fracas, start_consumer):
    runtime = fracas.runtime
    start_consumer(EventConsumer(runtime.bus, runtime.topology, runtime.messaging))
    broken = repair_completed("WO-Q2", "T-Q2")
    broken.data["outcome"] = "fixed"

    publish_envelope(runtime.messaging.amqp_url, broken, app_id="dispatch")

    [parked] = get_messages(runtime.messaging.amqp_url, runtime.topology.dlq_name, count=1, timeout=15)
    assert parked.message_id == broken.id
    assert "outcome" in parked.headers["x-error"]
    with fracas.uow_factory() as uow:
        assert uow.failures.get("WO-Q2") is None
