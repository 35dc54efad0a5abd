import pytest

from .services import SERVICES, start


@pytest.fixture
def running(any_database):
    """Factory: ``running(<service>)`` → that service on the test's database (PostgreSQL, then SQLite)."""
    started = []

    def make(name: str):
        assert name in SERVICES
        service = start(name, any_database)
        started.append(service)
        return service

    yield make
    for service in started:
        service.dispose()
