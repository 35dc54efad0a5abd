import pytest

from aftersales_shared.migrations import upgrade
from inventory.bootstrap import MIGRATIONS, bootstrap
from inventory.config import Settings


@pytest.fixture
def inventory(any_database):
    """The service wired as in production, on a database brought up by its migrations (once on each kind)."""
    inventory = bootstrap(Settings(database_url=any_database))
    upgrade(MIGRATIONS, inventory.runtime.engine)
    yield inventory
    inventory.runtime.dispose()
