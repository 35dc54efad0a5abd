import pytest

from aftersales_shared.config import ConfigError

from dispatch.config import DEFAULT_DATABASE_URL, Settings


def test_an_empty_environment_gives_the_embedded_defaults():
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/dispatch.db"
    assert settings.messaging.exchange == "aftersales.events"


def test_the_environment_points_at_the_database_and_the_broker():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql+psycopg2://dispatch@db/dispatch",
        "AMQP_URL": "amqp://dispatch:pw@rabbitmq:5672/%2F",
        "CONSUMER_PREFETCH": "5",
    })
    assert settings.database_url == "postgresql+psycopg2://dispatch@db/dispatch"
    assert settings.messaging.amqp_url == "amqp://dispatch:pw@rabbitmq:5672/%2F"
    assert settings.messaging.prefetch == 5


def test_a_dispatcher_pool_serves_the_regions_it_is_configured_for():
    from dispatch.bootstrap import bootstrap

    runtime = bootstrap(Settings.from_env({"DISPATCH_REGIONS": "north, south-2", "DATABASE_URL": "sqlite://"})).runtime
    try:
        north, south = runtime.topologies
        assert (north.queue_name, south.queue_name) == ("dispatch.events.north", "dispatch.events.south-2")
        assert "TicketCreated.north.#" in north.routing_keys and "QuoteAccepted.south-2.#" in south.routing_keys
        assert runtime.topology == north
        assert [job.name for job in runtime.periodic_jobs] == ["sla_breaches", "shift_handover"]
    finally:
        runtime.dispose()


def test_without_regions_one_queue_takes_every_region():
    from dispatch.bootstrap import bootstrap

    runtime = bootstrap(Settings.from_env({"DATABASE_URL": "sqlite://"})).runtime
    try:
        assert runtime.topology.queue_name == "dispatch.events"
        assert "TicketCreated.#" in runtime.topology.routing_keys
    finally:
        runtime.dispose()


@pytest.mark.parametrize("raw", ["north,north", "no rth", "dlq"])
def test_bad_region_lists_are_refused(raw):
    with pytest.raises(ConfigError):
        Settings.from_env({"DISPATCH_REGIONS": raw})
