import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import alembic_config, upgrade
from fracas.adapters.tables import metadata
from fracas.bootstrap import MIGRATIONS

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(pg_database):
    engine = make_engine(pg_database("fracas"))
    yield engine
    engine.dispose()


def test_migrated_schema_matches_the_metadata(engine):
    upgrade(MIGRATIONS, engine)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_go_down_and_up_again(engine):
    upgrade(MIGRATIONS, engine)
    command.downgrade(alembic_config(MIGRATIONS, engine), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}

    upgrade(MIGRATIONS, engine)
    assert set(inspect(engine).get_table_names()) >= {"installed_units", "failure_records", "failure_costs",
                                                      "tickets", "inbox", "outbox"}
