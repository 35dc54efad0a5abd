"""Integration tests run against the real PostgreSQL and RabbitMQ (see aftersales_shared.testing.fixtures)."""
import pytest

from aftersales_shared.testing.outbox import OutboxDb


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def outbox_db(pg_database, tmp_path):
    """Factory: ``outbox_db("postgres" | "sqlite")`` → OutboxDb with fresh outbox and inbox tables."""
    created = []

    def make(backend: str = "postgres") -> OutboxDb:
        url = pg_database("outbox") if backend == "postgres" else f"sqlite:///{tmp_path / f'outbox-{len(created)}.db'}"
        db = OutboxDb.create(url)
        created.append(db)
        return db

    yield make
    for db in created:
        db.dispose()


@pytest.fixture(scope="module")
def module_pg_outbox_db(pg_database):
    """One PostgreSQL outbox/inbox database shared by a module's tests (ids are unique, so they do not collide)."""
    db = OutboxDb.create(pg_database("module"))
    yield db
    db.dispose()
