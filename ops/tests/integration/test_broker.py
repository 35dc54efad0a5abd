"""Dead letters and unroutable messages on the real broker, through the CLI's broker tools."""
import pytest

from aftersales_ops import broker
from aftersales_ops.http import OpsError
from aftersales_shared.amqp import blocking_connection
from aftersales_shared.envelope import new_envelope
from aftersales_shared.testing.amqp import publish
from aftersales_shared.testing.helpers import unique
from aftersales_shared.topology import Topology

pytestmark = pytest.mark.integration


def envelope(type_="RepairCompleted"):
    return new_envelope(type=type_, data={}, source="dispatch", subject=unique("T"), region="east", site="SH-01")


def declare(settings, service):
    topology = Topology(service, ("RepairCompleted",), settings)
    connection = blocking_connection(settings, "test-declare")
    try:
        topology.declare(connection.channel())
    finally:
        connection.close()
    return topology


def park(settings, topology, event, error="boom"):
    publish(settings.amqp_url, topology.dlq_name, event.to_json(), exchange="", message_id=event.id, type=event.type,
            headers={"x-attempts": 4, "x-error": error}, correlation_id=event.subject)


def test_list_show_and_replay_by_id_leave_the_rest_parked_in_order(messaging_settings):
    settings = messaging_settings()
    service = unique("svc")
    topology = declare(settings, service)
    first, second, third = envelope(), envelope("TicketCreated"), envelope()
    for event in (first, second, third):
        park(settings, topology, event)

    assert [m.message_id for m in broker.parked(service, settings)] == [first.id, second.id, third.id]
    assert [m.message_id for m in broker.parked(service, settings, types=["TicketCreated"])] == [second.id]
    assert broker.parked(service, settings, ids=[third.id])[0].detail()["body"]["subject"] == third.subject

    assert broker.replay(service, settings, ids=[second.id]) == 1
    assert [m.message_id for m in broker.parked(service, settings)] == [first.id, third.id]
    assert broker.depth(settings, topology.queue_name) == 1


def test_a_service_without_queues_is_named(messaging_settings):
    with pytest.raises(OpsError, match="does not exist on the broker"):
        broker.parked(unique("nobody"), messaging_settings())


def test_unroutable_messages_are_listed_and_stay(messaging_settings):
    settings = messaging_settings()
    declare(settings, unique("svc"))
    stray = envelope("NobodyListens")
    publish(settings.amqp_url, "NobodyListens.east.SH-01", stray.to_json(), exchange=settings.exchange,
            message_id=stray.id, type=stray.type, app_id="dispatch", declare_exchange=False)
    found = [m for m in broker.unroutable(settings) if m["message_id"] == stray.id]
    assert found and found[0]["routing_key"] == "NobodyListens.east.SH-01" and found[0]["source"] == "dispatch"
    assert [m for m in broker.unroutable(settings) if m["message_id"] == stray.id]  # still there
