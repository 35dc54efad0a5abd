"""The least-privilege permissions in deploy/rabbitmq/definitions.json, tried on the real broker: a service
declares what it needs, publishes (also what only the alternate exchange takes), and is refused elsewhere."""
import json
import secrets
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pika
import pytest

from aftersales_shared.amqp import blocking_connection
from aftersales_shared.config import MessagingSettings
from aftersales_shared.testing import unique
from aftersales_shared.testing.amqp import queue_depth
from aftersales_shared.topology import Topology

DEFINITIONS = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"


def ctl(*args, stdin=None):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, text=True, input=stdin, timeout=60)


@pytest.fixture
def own_vhost(new_vhost):
    """A vhost of this test's own: it declares intake's queues, which other tests of the run declare too."""
    return new_vhost()


@pytest.fixture
def service_user(own_vhost):
    """intake's user, with exactly the permissions the definitions give it."""
    vhost = unquote(urlsplit(own_vhost).path[1:])
    [permissions] = [p for p in json.loads(DEFINITIONS.read_text())["permissions"] if p["user"] == "intake"]
    user, password = unique("intake"), secrets.token_hex(8)
    ctl("add_user", user, password)
    ctl("set_permissions", "-p", vhost, user, permissions["configure"], permissions["write"], permissions["read"])
    yield f"amqp://{user}:{password}@127.0.0.1:5672/{quote(vhost, safe='')}"
    ctl("delete_user", user)


def test_a_service_user_can_declare_publish_and_have_the_unroutable_kept(service_user, own_vhost):
    settings = MessagingSettings(amqp_url=service_user)
    topology = Topology("intake", ("PartReserved",), settings)
    connection = blocking_connection(settings, "permissions-test")
    try:
        channel = connection.channel()
        topology.declare(channel)
        channel.confirm_delivery()
        channel.basic_publish(settings.exchange, "NobodyListens.east.SH-01", b"{}",
                              pika.BasicProperties(delivery_mode=2), mandatory=True)
        channel.basic_publish("", topology.retry_queue_name(1), b"{}", pika.BasicProperties(delivery_mode=2),
                              mandatory=True)
        channel.basic_publish(settings.dead_letter_exchange, topology.dlq_name, b"{}",
                              pika.BasicProperties(delivery_mode=2), mandatory=True)
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            channel.queue_declare("billing.events", durable=True, arguments={"x-queue-type": "quorum"})
        assert refused.value.reply_code == 403
    finally:
        if connection.is_open:
            connection.close()
    assert queue_depth(own_vhost, settings.unroutable_exchange) == 1
    assert queue_depth(own_vhost, topology.dlq_name) == 1
