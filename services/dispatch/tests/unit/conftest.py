import pytest

from aftersales_shared.bus import EventBus

from dispatch.entrypoints.events import INCOMING_SCHEMAS
from dispatch.bootstrap import event_writer
from dispatch.service_layer.handlers import event_handlers

from fakes import FakeStore, FakeUnitOfWork
from samples import Clock


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow_factory(store):
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events():
    return event_writer()


@pytest.fixture
def bus(uow_factory, clock, events) -> EventBus:
    return EventBus(uow_factory, event_handlers(events, clock), INCOMING_SCHEMAS)
