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
