import pytest

from aftersales_shared.migrations import upgrade
from inventory.bootstrap import MIGRATIONS, bootstrap
from inventory.config import Settings


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database")("inventory")
    return f"sqlite:///{tmp_path / 'inventory.db'}"


@pytest.fixture
def inventory(database_url):
    """The service wired as in production, on a database brought up by its migrations."""
    inventory = bootstrap(Settings(database_url=database_url))
    upgrade(MIGRATIONS, inventory.runtime.engine)
    yield inventory
    inventory.runtime.dispose()
