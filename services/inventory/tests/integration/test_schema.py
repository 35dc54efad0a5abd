from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from inventory.adapters.tables import metadata
from inventory.bootstrap import MIGRATIONS


def test_migrated_postgresql_schema_matches_the_tables(pg_database):
    engine = make_engine(pg_database("inventory"))
    try:
        upgrade(MIGRATIONS, engine)
        upgrade(MIGRATIONS, engine)  # a second run finds nothing to do
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
