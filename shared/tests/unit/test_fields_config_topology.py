from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError

from aftersales_shared.config import ConfigError, MessagingSettings
from aftersales_shared.consumer import attempts_so_far
from aftersales_shared.fields import DecimalString, Money, Timestamp, money
from aftersales_shared.tables import UtcDateTime
from aftersales_shared.timeutil import parse_rfc3339, to_rfc3339
from aftersales_shared.topology import Topology


class Priced(Schema):
    amount = Money(required=True)
    qty = DecimalString()
    at = Timestamp()


# -- Money ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [("120.00", "120.00"), ("0.05", "0.05"), ("-3.10", "-3.10"), ("1000000.99", "1000000.99")])
def test_money_loads_two_place_strings(text, expected):
    value = Priced().load({"amount": text})["amount"]
    assert value == Decimal(expected) and isinstance(value, Decimal)


@pytest.mark.parametrize("bad", [120.0, 120, "120", "120.0", "120.000", "1e2", "12,00", " 1.00", "abc", None, True])
def test_money_refuses_floats_and_other_shapes(bad):
    with pytest.raises(ValidationError) as caught:
        Priced().load({"amount": bad})
    assert "amount" in caught.value.messages


@pytest.mark.parametrize("value,wire", [
    (Decimal("120"), "120.00"), (Decimal("0.005"), "0.01"), (Decimal("2.675"), "2.68"),
    (Decimal("-1.005"), "-1.01"), ("7.1", "7.10"), (3, "3.00"),
])
def test_money_dumps_two_places_half_up(value, wire):
    assert Priced().dump({"amount": value})["amount"] == wire


def test_money_helper_rounds_half_up():
    assert money(Decimal("0.125")) == Decimal("0.13")
    assert str(money(Decimal("5"))) == "5.00"


# -- DecimalString --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [("12.50", Decimal("12.50")), (3, Decimal(3)), ("-0.1", Decimal("-0.1"))])
def test_decimal_string_accepts_strings_and_integers(value, expected):
    assert Priced().load({"amount": "1.00", "qty": value})["qty"] == expected


@pytest.mark.parametrize("bad", [1.5, True, "abc", "NaN", "Infinity", "", None, [1]])
def test_decimal_string_refuses(bad):
    with pytest.raises(ValidationError) as caught:
        Priced().load({"amount": "1.00", "qty": bad})
    assert "qty" in caught.value.messages


def test_decimal_string_dumps_a_string():
    assert Priced().dump({"amount": Decimal("1"), "qty": Decimal("2.50")})["qty"] == "2.50"


# -- Timestamp ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("2026-11-22T09:30:00Z", datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)),
    ("2026-11-22T09:30:00z", datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)),
    ("2026-11-22T17:30:00+08:00", datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)),
    ("2026-11-22T09:30:00.250-01:30", datetime(2026, 11, 22, 11, 0, 0, 250000, tzinfo=timezone.utc)),
])
def test_timestamp_loads_rfc3339_as_aware_utc(text, expected):
    value = Priced().load({"amount": "1.00", "at": text})["at"]
    assert value == expected
    assert value.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad", ["2026-11-22T09:30:00", "2026-11-22", "22/11/2026 09:30", "", 1763803800, None])
def test_timestamp_refuses_naive_and_non_strings(bad):
    with pytest.raises(ValidationError) as caught:
        Priced().load({"amount": "1.00", "at": bad})
    assert "at" in caught.value.messages


def test_timestamp_dumps_utc_with_z():
    moment = datetime(2026, 11, 22, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    assert Priced().dump({"amount": Decimal(1), "at": moment})["at"] == "2026-11-22T09:30:00Z"


def test_timestamp_refuses_to_dump_naive():
    with pytest.raises(ValueError):
        Priced().dump({"amount": Decimal(1), "at": datetime(2026, 11, 22, 9, 30)})


def test_rfc3339_helpers_round_trip():
    moment = datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=timezone.utc)
    assert parse_rfc3339(to_rfc3339(moment)) == moment
    with pytest.raises(ValueError):
        parse_rfc3339("2026-02-03T04:05:06")


def test_utc_datetime_column_refuses_naive():
    column_type = UtcDateTime()
    with pytest.raises(ValueError):
        column_type.process_bind_param(datetime(2026, 1, 1), dialect=None)


# -- configuration --------------------------------------------------------------------------------------

def test_settings_defaults():
    settings = MessagingSettings.from_env({})
    assert settings == MessagingSettings()
    assert settings.exchange == "aftersales.events"
    assert settings.retry_delays_ms == (1_000, 5_000, 30_000)
    assert settings.max_attempts == 4
    assert settings.queue_type == "quorum"
    assert settings.consumer_prefetch == 2 * settings.consumer_batch_size
    assert settings.retention_days == 7


def test_batching_and_queue_settings_from_env():
    settings = MessagingSettings.from_env({
        "CONSUMER_BATCH_SIZE": "50", "CONSUMER_BATCH_WAIT_MS": "5", "QUEUE_TYPE": "Classic", "DELIVERY_LIMIT": "9",
        "RETENTION_DAYS": "0.5", "PURGE_BATCH_SIZE": "10", "UNROUTABLE_EXCHANGE": "ae",
    })
    assert (settings.consumer_batch_size, settings.consumer_batch_wait_ms) == (50, 5.0)
    assert settings.consumer_prefetch == 100
    assert (settings.queue_type, settings.delivery_limit) == ("classic", 9)
    assert (settings.retention_days, settings.purge_batch_size) == (0.5, 10)
    assert settings.unroutable_exchange == "ae"


def test_settings_from_env():
    settings = MessagingSettings.from_env({
        "AMQP_URL": "amqp://u:p@rabbit:5672/v", "CONSUMER_PREFETCH": "5", "RETRY_DELAYS_MS": "100, 200,400",
        "MAX_ATTEMPTS": "2", "RELAY_BATCH_SIZE": "50", "RELAY_IDLE_SECONDS": "0.5",
        "RELAY_MAX_BACKOFF_SECONDS": "3", "HEARTBEAT_DIR": "/tmp/hb", "AMQP_HEARTBEAT": "0",
        "EVENT_EXCHANGE": "ex", "DEAD_LETTER_EXCHANGE": "dlx",
    })
    assert settings.amqp_url == "amqp://u:p@rabbit:5672/v"
    assert settings.prefetch == 5
    assert settings.retry_delays_ms == (100, 200, 400)
    assert settings.max_attempts == 2
    assert settings.relay_batch_size == 50
    assert settings.relay_idle_seconds == 0.5
    assert settings.relay_max_backoff_seconds == 3.0
    assert settings.heartbeat_dir == "/tmp/hb"
    assert settings.heartbeat == 0
    assert (settings.exchange, settings.dead_letter_exchange) == ("ex", "dlx")


def test_empty_values_mean_default():
    assert MessagingSettings.from_env({"CONSUMER_PREFETCH": "", "RETRY_DELAYS_MS": "", "AMQP_URL": ""}) == MessagingSettings()


@pytest.mark.parametrize("name,value,phrase", [
    ("CONSUMER_PREFETCH", "many", "must be an integer"),
    ("CONSUMER_PREFETCH", "-1", "at least 0"),
    ("CONSUMER_BATCH_SIZE", "0", "at least 1"),
    ("QUEUE_TYPE", "lazy", "one of quorum, classic"),
    ("DELIVERY_LIMIT", "0", "at least 1"),
    ("RETENTION_DAYS", "a week", "must be a number"),
    ("MAX_ATTEMPTS", "0", "at least 1"),
    ("MAX_ATTEMPTS", "2.5", "must be an integer"),
    ("AMQP_HEARTBEAT", "-1", "at least 0"),
    ("RELAY_BATCH_SIZE", "0", "at least 1"),
    ("RETRY_DELAYS_MS", "100,x", "comma-separated integers"),
    ("RETRY_DELAYS_MS", "100,0", "positive"),
    ("RETRY_DELAYS_MS", "-5", "positive"),
    ("RETRY_DELAYS_MS", "100,,200", "comma-separated integers"),
    ("RELAY_IDLE_SECONDS", "soon", "must be a number"),
    ("RELAY_MAX_BACKOFF_SECONDS", "1s", "must be a number"),
])
def test_config_errors_name_the_variable(name, value, phrase):
    with pytest.raises(ConfigError) as caught:
        MessagingSettings.from_env({name: value})
    assert name in str(caught.value) and phrase in str(caught.value)
    assert isinstance(caught.value, ValueError)


# -- topology names -------------------------------------------------------------------------------------

@pytest.fixture
def topology():
    return Topology("billing", ("RepairCompleted", "TicketCreated"),
                    MessagingSettings(retry_delays_ms=(100, 200, 400)))


def test_queue_names(topology):
    assert topology.queue_name == "billing.events"
    assert topology.dlq_name == "billing.events.dlq"
    assert topology.routing_keys == ["RepairCompleted.#", "TicketCreated.#"]


@pytest.mark.parametrize("attempt,name", [(1, "retry.1"), (2, "retry.2"), (3, "retry.3"), (4, "retry.3"), (99, "retry.3")])
def test_retry_queue_for_attempt(topology, attempt, name):
    assert topology.retry_queue_name(attempt) == f"billing.events.{name}"


def test_retry_queues_expire_back_into_the_main_queue(topology):
    queues = topology.retry_queues()
    assert [q.name for q in queues] == ["billing.events.retry.1", "billing.events.retry.2", "billing.events.retry.3"]
    assert [q.arguments["x-message-ttl"] for q in queues] == [100, 200, 400]
    for queue in queues:
        assert queue.arguments["x-queue-type"] == "quorum"
        assert queue.arguments["x-dead-letter-exchange"] == ""
        assert queue.arguments["x-dead-letter-routing-key"] == "billing.events"
        assert queue.arguments["x-dead-letter-strategy"] == "at-least-once"
        assert queue.bindings == ()
    # every retry queue a failing attempt may pick exists
    names = {q.name for q in queues}
    assert all(topology.retry_queue_name(n) in names for n in range(1, 10))


def test_main_queue_is_quorum_with_a_delivery_limit_and_parks_in_the_dlq(topology):
    main = topology.main_queue()
    assert main.name == "billing.events"
    assert main.bindings == (("aftersales.events", "RepairCompleted.#"), ("aftersales.events", "TicketCreated.#"))
    assert main.arguments == {
        "x-queue-type": "quorum", "x-delivery-limit": 5,
        "x-dead-letter-exchange": "aftersales.dlx", "x-dead-letter-routing-key": "billing.events.dlq",
        "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish",
    }
    dlq = topology.dead_letter_queue()
    assert dlq.name == "billing.events.dlq"
    assert dlq.bindings == (("aftersales.dlx", "billing.events.dlq"),)


def test_classic_queues_on_request():
    topology = Topology("billing", ("RepairCompleted",), MessagingSettings(queue_type="classic"))
    assert topology.main_queue().arguments == {"x-dead-letter-exchange": "aftersales.dlx",
                                               "x-dead-letter-routing-key": "billing.events.dlq"}
    assert all("x-queue-type" not in queue.arguments for queue in topology.queues())


def test_the_event_exchange_hands_the_unroutable_to_an_alternate_exchange(topology):
    exchanges = {exchange.name: exchange for exchange in topology.exchanges()}
    assert exchanges["aftersales.events"].type == "topic"
    assert exchanges["aftersales.events"].arguments == {"alternate-exchange": "aftersales.unroutable"}
    assert exchanges["aftersales.unroutable"].type == "fanout"
    assert exchanges["aftersales.dlx"].type == "direct"
    [unroutable] = [queue for queue in topology.queues() if queue.name == "aftersales.unroutable"]
    assert unroutable.bindings == (("aftersales.unroutable", ""),)
    # declared in an order where every dead-letter target exists before its source
    names = [queue.name for queue in topology.queues()]
    assert names.index("billing.events.dlq") < names.index("billing.events") < names.index("billing.events.retry.1")


class _FakeMessage:
    def __init__(self, headers):
        self.headers = headers


@pytest.mark.parametrize("headers,expected", [(None, 0), ({}, 0), ({"x-attempts": 2}, 2), ({"x-attempts": "3"}, 3),
                                              ({"x-attempts": "x"}, 0), ({"x-attempts": None}, 0)])
def test_attempts_so_far(headers, expected):
    assert attempts_so_far(_FakeMessage(headers)) == expected


# -- regional queues --------------------------------------------------------------------------------------

def test_a_regional_topology_takes_only_its_regions_events_on_queues_of_its_own(topology):
    north, south = topology.for_regions(["north", "south-2"])
    assert (north.queue_name, north.dlq_name, north.retry_queue_name(7)) == (
        "billing.events.north", "billing.events.north.dlq", "billing.events.north.retry.3")
    assert north.routing_keys == ["RepairCompleted.north.#", "TicketCreated.north.#"]
    assert south.main_queue().bindings == (("aftersales.events", "RepairCompleted.south-2.#"),
                                           ("aftersales.events", "TicketCreated.south-2.#"))
    main = north.main_queue().arguments
    assert (main["x-dead-letter-routing-key"], main["x-delivery-limit"]) == ("billing.events.north.dlq", 5)
    assert [q.arguments["x-dead-letter-routing-key"] for q in north.retry_queues()] == ["billing.events.north"] * 3
    assert north.dead_letter_queue().bindings == (("aftersales.dlx", "billing.events.north.dlq"),)
    names = [q.name for t in (north, south) for q in t.queues() if q.name != "aftersales.unroutable"]
    assert len(names) == len(set(names)) == 10


def test_no_regions_is_the_one_queue_for_every_region(topology):
    assert topology.for_regions([]) == [topology]
    assert topology.for_regions(())[0].queue_name == "billing.events"


@pytest.mark.parametrize("regions", [["north", "north"], ["no.dots"], ["x" * 33], [""], ["dlq"], ["retry"]])
def test_bad_regions_are_refused_by_name(topology, regions):
    with pytest.raises(ValueError, match="region"):
        topology.for_regions(regions)
