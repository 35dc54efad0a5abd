"""Dispatch on PostgreSQL: the repositories round-trip, and concurrency cannot double-book or double-complete."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from aftersales_shared.bus import EventBus
from aftersales_shared.testing.contract import assert_conforms

from dispatch.adapters.repository import SqlWorkOrderRepository
from dispatch.adapters.tables import outbox, work_orders
from dispatch.bootstrap import event_writer
from dispatch.domain.work_orders import AlreadyCompleted
from dispatch.entrypoints.events import INCOMING_SCHEMAS
from dispatch.service_layer import handlers
from dispatch.service_layer.commands import CompleteWorkOrder
from dispatch.service_layer.unit_of_work import DispatchUnitOfWork

from samples import engineer, job_report, part_reserved, ticket_created

pytestmark = pytest.mark.integration

BARRIER_TIMEOUT = 10
EVENTS = event_writer()


@pytest.fixture
def uow_factory(engine):
    return lambda: DispatchUnitOfWork(engine)


@pytest.fixture
def bus(uow_factory) -> EventBus:
    return EventBus(uow_factory, handlers.event_handlers(EVENTS), INCOMING_SCHEMAS)


def outbox_events(engine, event_type: str) -> list[dict]:
    with engine.connect() as connection:
        bodies = connection.execute(select(outbox.c.body).where(outbox.c.event_type == event_type)).scalars()
        return [json.loads(body) for body in bodies]


def test_a_work_order_round_trips_with_its_parts_and_completion(bus, uow_factory):
    handlers.register_engineer(engineer("E-1"), uow_factory(), events=EVENTS)
    ticket = ticket_created()
    ticket_id = ticket.data["ticket_id"]
    bus.handle(part_reserved(ticket_id, reservation_id="R-3"))
    bus.handle(ticket)
    with uow_factory() as uow:
        opened = uow.work_orders.for_ticket(ticket_id)

    done = handlers.complete_work_order(CompleteWorkOrder(opened.id, job_report()), uow_factory(), events=EVENTS)

    with uow_factory() as uow:
        stored = uow.work_orders.get(opened.id)
    assert (stored.parts_status, stored.reservation_id) == ("reserved", "R-3")
    assert stored.product == opened.product and stored.sla == opened.sla
    assert stored.completion == done.completion
    assert stored.completed_at == done.completed_at
    [event] = outbox_events(uow_factory().engine, "RepairCompleted")
    assert_conforms(event)


class _ReadsThenWaits(SqlWorkOrderRepository):
    """Holds every reader at the barrier, so both completions have seen the work order as assigned."""

    def __init__(self, connection, barrier: threading.Barrier):
        super().__init__(connection)
        self.barrier = barrier

    def get(self, work_order_id, for_update=False):
        # Read without the row lock, as a stale reader would: the version check must stop the second writer.
        found = super().get(work_order_id)
        self.barrier.wait(BARRIER_TIMEOUT)
        return found


class _RacingUnitOfWork(DispatchUnitOfWork):
    def __init__(self, engine, barrier):
        super().__init__(engine)
        self.barrier = barrier

    def open_repositories(self, connection) -> None:
        super().open_repositories(connection)
        self.work_orders = _ReadsThenWaits(connection, self.barrier)


def test_of_two_concurrent_completions_exactly_one_wins(engine, bus, uow_factory):
    handlers.register_engineer(engineer("E-1"), uow_factory(), events=EVENTS)
    ticket = ticket_created()
    bus.handle(ticket)
    with uow_factory() as uow:
        work_order_id = uow.work_orders.for_ticket(ticket.data["ticket_id"]).id
    barrier = threading.Barrier(2)

    def complete(outcome):
        try:
            handlers.complete_work_order(CompleteWorkOrder(work_order_id, job_report(outcome=outcome)),
                                         _RacingUnitOfWork(engine, barrier), events=EVENTS)
            return "won"
        except AlreadyCompleted:
            return "lost"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(complete, ["repaired", "replaced"]))

    assert results == ["lost", "won"]
    [event] = outbox_events(engine, "RepairCompleted")
    with engine.connect() as connection:
        outcome = connection.execute(select(work_orders.c.outcome).where(work_orders.c.id == work_order_id)).scalar()
    assert event["data"]["outcome"] == outcome


def test_the_same_ticket_announced_concurrently_opens_one_work_order(engine, bus, uow_factory):
    handlers.register_engineer(engineer("E-1"), uow_factory(), events=EVENTS)
    first = ticket_created()
    copies = [first] + [ticket_created(first.data["ticket_id"]) for _ in range(5)]

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(bus.handle, copies))

    with engine.connect() as connection:
        rows = connection.execute(select(work_orders.c.id).where(work_orders.c.ticket_id == first.data["ticket_id"]))
        assert len(rows.all()) == 1
    assert len(outbox_events(engine, "EngineerAssigned")) == 1


def test_concurrent_tickets_at_one_site_are_spread_by_load(engine, bus, uow_factory):
    for engineer_id in ("E-1", "E-2"):
        handlers.register_engineer(engineer(engineer_id), uow_factory(), events=EVENTS)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bus.handle, [ticket_created() for _ in range(10)]))

    assigned = [event["data"]["engineer_id"] for event in outbox_events(engine, "EngineerAssigned")]
    assert sorted(assigned) == ["E-1"] * 5 + ["E-2"] * 5
