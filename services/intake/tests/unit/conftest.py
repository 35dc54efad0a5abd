import shutil
from pathlib import Path

import pytest

from aftersales_shared.bus import EventBus
from aftersales_shared.db import make_engine

from intake.adapters.tables import metadata
from intake.bootstrap import Intake, bootstrap, event_writer
from intake.config import DEFAULT_RESOLVE_HOURS, Settings
from intake.domain.policies import SlaPolicy, WarrantyTerms
from intake.entrypoints.events import INCOMING_SCHEMAS
from intake.entrypoints.flask_app import create_app
from intake.service_layer.handlers import EVENT_HANDLERS, Rules

from fakes import FakeStore, FakeUnitOfWork
from samples import ACCEPTED_AT


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow_factory(store):
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def rules() -> Rules:
    return Rules(
        warranty=WarrantyTerms(12, {}), sla=SlaPolicy(4, DEFAULT_RESOLVE_HOURS), clock=lambda: ACCEPTED_AT,
    )


@pytest.fixture
def events():
    return event_writer()


@pytest.fixture
def bus(uow_factory) -> EventBus:
    return EventBus(uow_factory, EVENT_HANDLERS, INCOMING_SCHEMAS)


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """One schema for the session; each test gets a copy, far quicker than creating the tables each time."""
    path = tmp_path_factory.mktemp("schema") / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def intake_with(tmp_path, empty_database):
    """Factory: an Intake container on a fresh SQLite file, from settings in environment form."""
    built = []

    def make(clock=lambda: ACCEPTED_AT, **environ) -> Intake:
        database = tmp_path / f"intake-{len(built)}.db"
        shutil.copy(empty_database, database)
        container = bootstrap(Settings.from_env({"DATABASE_URL": f"sqlite:///{database}", **environ}), clock=clock)
        built.append(container)
        return container

    yield make
    for container in built:
        container.runtime.dispose()


@pytest.fixture
def intake(intake_with) -> Intake:
    return intake_with()


@pytest.fixture
def client(intake):
    return create_app(intake).test_client()
