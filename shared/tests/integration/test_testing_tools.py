"""The shared test tools against real sockets, broker and database."""
import socket
import threading
from urllib.parse import urlsplit

import pika.exceptions
import pytest
from sqlalchemy import create_engine, text

from aftersales_shared.envelope import new_envelope
from aftersales_shared.testing import TcpProxy, unique, wait_for
from aftersales_shared.testing.amqp import (
    WireTap, connect, get_messages, publish, publish_envelope, queue_depth, queue_info,
)


@pytest.fixture
def echo_server():
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn):
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()
    stop.set()
    thread.join()
    listener.close()


def roundtrip(port, payload=b"ping"):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


def test_tcp_proxy_forwards_cuts_and_resumes(echo_server):
    with TcpProxy(*echo_server) as proxy:
        assert proxy.url_port == proxy.port != echo_server[1]
        assert roundtrip(proxy.port) == b"ping"

        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        held.sendall(b"one")
        assert held.recv(16) == b"one"
        wait_for(lambda: proxy.open_connections >= 1, timeout=2)

        proxy.stop_accepting_and_cut()
        assert held.recv(16) == b""  # the peer vanished
        held.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        assert proxy.open_connections == 0

        proxy.resume()
        assert roundtrip(proxy.port, b"back") == b"back"


def test_tcp_proxy_rewrites_urls():
    with TcpProxy("127.0.0.1", 9) as proxy:
        assert proxy.url_for("amqp://u:p@rabbit:5672/v%2Fx") == f"amqp://u:p@127.0.0.1:{proxy.port}/v%2Fx"
        assert proxy.url_for("postgresql://db/x") == f"postgresql://127.0.0.1:{proxy.port}/x"


def test_amqp_vhost_is_a_fresh_vhost_of_this_run(amqp_vhost, run_id):
    path = urlsplit(amqp_vhost).path
    assert path == f"/aftersales-test-{run_id}"
    assert queue_info(amqp_vhost, "no-such-queue") is None


def test_wire_tap_collects_what_matches_its_bindings(amqp_vhost, wire_tap):
    region = unique("r")
    tap = wire_tap([f"TicketCreated.{region}.*"])
    everything = wire_tap()
    wanted = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-1", region=region, site="S1")
    other = new_envelope(type="PartReserved", data={}, source="inventory", subject="T-1", region=region, site="S1")
    publish_envelope(amqp_vhost, other)
    publish_envelope(amqp_vhost, wanted)

    [received] = tap.wait_for_types(["TicketCreated"])
    routing_key, properties, body = received
    assert (routing_key, properties.type, body) == (f"TicketCreated.{region}.S1", "TicketCreated", wanted.to_json().encode())
    assert received.message_id == wanted.id and received.routing_key == f"TicketCreated.{region}.S1"
    assert received.properties.app_id == "intake" and received.json()["id"] == wanted.id
    assert [m.message_id for m in tap.sync()] == [wanted.id]
    assert {m.message_id for m in everything.wait_for_ids([wanted.id, other.id])} == {wanted.id, other.id}
    with pytest.raises(AssertionError, match="SettlementPosted"):
        tap.wait_for_types(["SettlementPosted"], timeout=0.2)


def test_wire_tap_queue_goes_away_on_close(amqp_vhost):
    tap = WireTap(amqp_vhost, "nothing.#")
    queue = tap.queue
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as caught:
        queue_info(amqp_vhost, queue)
    assert caught.value.reply_code == 405  # exists, exclusive to the tap's connection
    tap.close()
    wait_for(lambda: queue_info(amqp_vhost, queue) is None, timeout=5, message="tap queue left behind")


def test_queue_helpers(amqp_vhost):
    queue = unique("q")

    connection = connect(amqp_vhost)
    connection.channel().queue_declare(queue, auto_delete=False)
    connection.close()
    for n in range(3):
        publish(amqp_vhost, queue, f"m{n}", exchange="", declare_exchange=False, message_id=str(n))
    assert queue_depth(amqp_vhost, queue) == 3
    peeked = get_messages(amqp_vhost, queue, count=2, ack=False)
    assert [m.body for m in peeked] == [b"m0", b"m1"]
    assert queue_depth(amqp_vhost, queue) == 3
    taken = get_messages(amqp_vhost, queue)
    assert [m.message_id for m in taken] == ["0", "1", "2"]
    assert queue_depth(amqp_vhost, queue) == 0
    with pytest.raises(AssertionError):
        get_messages(amqp_vhost, queue, count=1, timeout=0.2)


def test_pg_database_makes_distinct_empty_databases(pg_database):
    first, second = pg_database("a"), pg_database("a")
    assert first != second and first.startswith("postgresql+psycopg2://")
    for url in (first, second):
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("select count(*) from pg_tables where schemaname = 'public'")).scalar() == 0
        engine.dispose()
