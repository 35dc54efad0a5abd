import pytest

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade

from dispatch.bootstrap import MIGRATIONS


@pytest.fixture
def engine(pg_database):
    """A fresh PostgreSQL database brought up to date by dispatch's own migrations."""
    engine = make_engine(pg_database("dispatch"), pool_size=12)
    upgrade(MIGRATIONS, engine)
    yield engine
    engine.dispose()
