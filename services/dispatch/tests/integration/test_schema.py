import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dispatch.adapters.tables import metadata

pytestmark = pytest.mark.integration


def test_the_migrated_schema_is_the_one_the_code_maps(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_one_work_order_per_ticket_is_enforced_by_the_database(engine):
    constraints = inspect(engine).get_unique_constraints("work_orders")
    assert [c["column_names"] for c in constraints] == [["ticket_id"]]
