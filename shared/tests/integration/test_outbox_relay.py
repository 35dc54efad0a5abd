"""The outbox relay against the real broker: order, contract properties, rows marked sent; a broker outage."""
import json
from urllib.parse import urlsplit

import pytest
from prometheus_client import REGISTRY

from aftersales_shared.envelope import new_envelope, parse_envelope
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing import unique, wait_for

TYPES = ("TicketCreated", "PartReserved", "RepairCompleted", "SettlementPosted")


def envelopes(count, region, site="SH-01", source="intake"):
    return [
        new_envelope(type=TYPES[n % len(TYPES)], data={"n": n, "amount": f"{n}.00"}, source=source,
                     subject=f"T-{n // 3}", region=region, site=site)
        for n in range(count)
    ]


def failures(service: str) -> float:
    return REGISTRY.get_sample_value("outbox_publish_failures_total", {"service": service}) or 0.0


def published(service: str) -> float:
    return REGISTRY.get_sample_value("outbox_published_total", {"service": service}) or 0.0


def assert_contract_message(received, envelope, service):
    assert received.routing_key == f"{envelope.type}.{envelope.region}.{envelope.site}"
    props = received.properties
    assert props.message_id == envelope.id
    assert props.type == envelope.type
    assert props.delivery_mode == 2
    assert props.content_type == "application/json"
    assert props.app_id == service
    assert parse_envelope(received.body) == envelope
    assert json.loads(received.body) == envelope.to_dict()


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_one_relay_pass_pipelines_batch_after_batch_until_drained(backend, outbox_db, messaging_settings, wire_tap):
    db = outbox_db(backend)
    region = unique("r")
    tap = wire_tap([f"*.{region}.*"])
    sent = envelopes(23, region)
    db.add(*sent)
    relay = OutboxRelay("intake", db.engine, db.outbox, messaging_settings(relay_batch_size=4))
    try:
        assert relay.relay_once() == 23
        assert relay.relay_once() == 0
    finally:
        relay.publisher.close()
    assert db.pending() == 0
    assert [m.message_id for m in tap.sync()] == [e.id for e in sent]


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_relay_publishes_everything_in_order_and_marks_it_sent(backend, outbox_db, messaging_settings, wire_tap):
    db = outbox_db(backend)
    service = "intake"
    region = unique("r")
    tap = wire_tap([f"*.{region}.*"])
    sent = envelopes(23, region)
    db.add(*sent[:10])
    for envelope in sent[10:]:
        db.add(envelope)
    assert db.pending() == 23

    relay = OutboxRelay(service, db.engine, db.outbox, messaging_settings(relay_batch_size=7))
    try:
        batches = []
        while (count := relay.relay_once(max_batches=1)) > 0:
            batches.append(count)
            assert len(batches) < 10, "relay does not drain"
    finally:
        relay.publisher.close()

    assert batches == [7, 7, 7, 2]
    assert db.pending() == 0
    rows = db.rows()
    assert [row.event_id for row in rows] == [e.id for e in sent]
    assert all(row.sent_at is not None and row.sent_at.tzinfo is not None for row in rows)
    assert all(row.sent_at >= row.created_at for row in rows)

    received = tap.sync()
    assert [m.message_id for m in received] == [e.id for e in sent]
    for message, envelope in zip(received, sent):
        assert_contract_message(message, envelope, service)


def test_relay_with_nothing_pending_does_not_touch_the_broker(outbox_db, messaging_settings, tcp_proxy):
    db = outbox_db("sqlite")
    proxy = tcp_proxy("127.0.0.1", 9)
    proxy.stop_accepting_and_cut()  # any connection attempt would be refused and raise
    relay = OutboxRelay("billing", db.engine, db.outbox,
                        messaging_settings(amqp_url=proxy.url_for("amqp://guest:guest@127.0.0.1/x")))
    assert relay.relay_once() == 0
    assert relay.relay_once() == 0


def test_relay_survives_a_broker_outage_without_losing_or_duplicating(
        outbox_db, messaging_settings, wire_tap, tcp_proxy, amqp_vhost, start_relay):
    db = outbox_db("postgres")
    service = "dispatch"
    region = unique("r")
    tap = wire_tap([f"*.{region}.*"])
    broker = urlsplit(amqp_vhost)
    proxy = tcp_proxy(broker.hostname, broker.port or 5672)
    settings = messaging_settings(amqp_url=proxy.url_for(amqp_vhost), relay_batch_size=10,
                                  relay_idle_seconds=0.02, relay_max_backoff_seconds=0.3)
    relay = OutboxRelay(service, db.engine, db.outbox, settings)
    thread = start_relay(relay)

    # Up and running: the relay holds an open connection through the proxy.
    before = envelopes(5, region, source="dispatch")
    db.add(*before)
    wait_for(lambda: db.pending() == 0, timeout=10, message="first rows not relayed")
    tap.wait_for_ids([e.id for e in before])
    assert proxy.open_connections >= 1

    # The broker "goes down": the open connection is cut and new ones are refused.
    proxy.stop_accepting_and_cut()
    failures_before = failures(service)
    during = envelopes(25, region, source="dispatch")
    for chunk in (during[:10], during[10:20], during[20:]):
        db.add(*chunk)
    wait_for(lambda: failures(service) >= failures_before + 3, timeout=15,
             message=lambda: f"relay did not keep retrying: {failures(service) - failures_before} failures")
    assert thread.is_alive(), f"relay thread died: {thread.error!r}"
    assert db.pending() == 25, "rows were marked sent while the broker was down"
    assert {m.message_id for m in tap.sync()} == {e.id for e in before}

    # The broker is back: everything goes out, once.
    proxy.resume()
    wait_for(lambda: db.pending() == 0, timeout=15, message=lambda: f"{db.pending()} rows still pending after resume")
    received = tap.sync()
    ids = [m.message_id for m in received]
    expected = [e.id for e in before + during]
    assert sorted(ids) == sorted(expected), "lost or duplicated messages"
    assert len(ids) == len(set(ids)) == 30
    assert ids == expected, "order changed"
    for message, envelope in zip(received, before + during):
        assert_contract_message(message, envelope, service)
    assert thread.is_alive()


def test_a_second_relay_stands_by_while_the_first_leads(outbox_db, messaging_settings, wire_tap):
    db = outbox_db("postgres")
    region = unique("r")
    tap = wire_tap([f"*.{region}.*"])
    first_batch, second_batch = envelopes(3, region), envelopes(2, region)
    leader = OutboxRelay("intake", db.engine, db.outbox, messaging_settings())
    standby = OutboxRelay("intake", db.engine, db.outbox, messaging_settings())
    try:
        db.add(*first_batch)
        assert leader.relay_once() == 3
        db.add(*second_batch)
        assert standby.relay_once() == 0, "only one relay may publish, or order is lost"
        leader.leadership.release()
        assert standby.relay_once() == 2
    finally:
        for relay in (leader, standby):
            relay.publisher.close()
            relay.leadership.release()
    assert [m.message_id for m in tap.sync()] == [e.id for e in first_batch + second_batch]
