"""Database URLs as users write them."""
from sqlalchemy import text

from aftersales_shared.db import database_url, make_engine


def test_a_plain_postgresql_url_uses_the_installed_driver(pg_database):
    url = pg_database("url").replace("postgresql+psycopg2://", "postgresql://")
    assert url.startswith("postgresql://")
    engine = make_engine(url)
    try:
        assert engine.dialect.driver == "psycopg2"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_url_forms():
    assert database_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg2"
    assert database_url("postgres://u@h/db").drivername == "postgresql+psycopg2"
    assert database_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    assert database_url("sqlite:///var/x.db").drivername == "sqlite"
