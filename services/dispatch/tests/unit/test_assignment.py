from datetime import timedelta

import pytest

from aftersales_shared.testing.contract import assert_conforms
from aftersales_shared.timeutil import to_rfc3339

from dispatch.domain.engineers import EngineerAlreadyRegistered
from dispatch.service_layer import handlers
from dispatch.service_layer.commands import CompleteWorkOrder

from samples import ACCEPTED_AT, engineer, job_report, ticket_created


@pytest.fixture
def register(uow_factory, clock, events):
    def register_engineer(engineer_id="E-1", **overrides):
        return handlers.register_engineer(engineer(engineer_id, **overrides), uow_factory(), clock, events=events)

    return register_engineer


def work_order_of(uow_factory, ticket_id):
    with uow_factory() as uow:
        return uow.work_orders.for_ticket(ticket_id)


def open_ticket(bus, uow_factory, **ticket):
    event = ticket_created(**ticket)
    assert bus.handle(event) is True
    return work_order_of(uow_factory, event.data["ticket_id"])


def test_a_ticket_goes_to_an_available_engineer_of_its_site_with_the_skill(bus, store, uow_factory, register, clock):
    register("E-1")
    event = ticket_created()

    bus.handle(event)

    work_order = work_order_of(uow_factory, event.data["ticket_id"])
    assert work_order.status == "assigned"
    assert work_order.engineer_id == "E-1"
    assert work_order.dispatched_at == clock.now
    [assigned] = store.emitted("EngineerAssigned")
    assert assigned.data == {
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": "E-1",
        "site": "SH-01", "assigned_at": to_rfc3339(clock.now),
    }
    assert (assigned.source, assigned.subject, assigned.correlation_id) == ("dispatch", work_order.ticket_id,
                                                                          work_order.ticket_id)
    assert assigned.causation_id == event.id
    assert assigned.routing_key == "EngineerAssigned.east.SH-01"
    assert_conforms(assigned.to_dict())


@pytest.mark.parametrize("who", [
    {"skills": ("washer",)},
    {"site": "BJ-02", "region": "north"},
    {"available": False},
], ids=["without-the-skill", "of-another-site-and-region", "unavailable"])
def test_nobody_fits_leaves_the_work_order_unassigned(bus, store, uow_factory, register, who):
    register("E-1", **who)

    work_order = open_ticket(bus, uow_factory)

    assert work_order.status == "unassigned"
    assert work_order.engineer_id is None
    assert work_order.dispatched_at is None
    assert store.emitted("EngineerAssigned") == []


def test_only_engineers_who_fit_are_considered(bus, uow_factory, register):
    register("E-1", skills=("washer",))
    register("E-2", site="BJ-02", region="north")
    register("E-3", available=False)
    register("E-9", skills=("washer", "television"))

    assert open_ticket(bus, uow_factory).engineer_id == "E-9"


def test_the_least_loaded_engineer_gets_the_job(bus, uow_factory, register):
    register("E-A")
    for _ in range(2):
        open_ticket(bus, uow_factory)
    register("E-B")
    assert [open_ticket(bus, uow_factory).engineer_id for _ in range(3)] == ["E-B", "E-B", "E-A"]


def test_a_tie_goes_to_the_smallest_engineer_id(bus, uow_factory, register):
    register("E-B")
    register("E-A")
    register("E-C")

    assert [open_ticket(bus, uow_factory).engineer_id for _ in range(4)] == ["E-A", "E-B", "E-C", "E-A"]


def test_completed_work_orders_do_not_count_as_load(bus, uow_factory, register, clock, events):
    register("E-A")
    register("E-B")
    first, second, third = (open_ticket(bus, uow_factory) for _ in range(3))
    assert [first.engineer_id, second.engineer_id, third.engineer_id] == ["E-A", "E-B", "E-A"]
    for done in (first, third):
        handlers.complete_work_order(CompleteWorkOrder(done.id, job_report()), uow_factory(), clock, events=events)

    assert open_ticket(bus, uow_factory).engineer_id == "E-A"


def test_registering_an_engineer_takes_the_waiting_work_orders_oldest_ticket_first(
        bus, store, uow_factory, register, clock):
    newer = open_ticket(bus, uow_factory, created_at=ACCEPTED_AT + timedelta(minutes=10))
    older = open_ticket(bus, uow_factory, created_at=ACCEPTED_AT)
    elsewhere = open_ticket(bus, uow_factory, site="BJ-02", region="north")
    other_skill = open_ticket(bus, uow_factory, category="washer")
    clock.advance(minutes=30)

    registered, assigned = register("E-1")

    assert [w.id for w in assigned] == [older.id, newer.id]
    for work_order in (older, newer):
        now = work_order_of(uow_factory, work_order.ticket_id)
        assert (now.status, now.engineer_id, now.dispatched_at) == ("assigned", "E-1", clock.now)
    for work_order in (elsewhere, other_skill):
        assert work_order_of(uow_factory, work_order.ticket_id).status == "unassigned"
    events = store.emitted("EngineerAssigned")
    assert [e.data["ticket_id"] for e in events] == [older.ticket_id, newer.ticket_id]
    for event in events:
        assert event.causation_id is None
        assert event.correlation_id == event.subject == event.data["ticket_id"]
        assert event.data["engineer_id"] == "E-1"
        assert_conforms(event.to_dict())


def test_an_unavailable_engineer_takes_nothing_on_registration(bus, store, uow_factory, register):
    waiting = open_ticket(bus, uow_factory)

    _, assigned = register("E-1", available=False)

    assert assigned == []
    assert work_order_of(uow_factory, waiting.ticket_id).status == "unassigned"
    assert store.emitted("EngineerAssigned") == []


def test_an_engineer_is_registered_once(store, register):
    register("E-1")
    with pytest.raises(EngineerAlreadyRegistered):
        register("E-1", name="Someone else", site="BJ-02")

    assert store.rows.engineers["E-1"].site == "SH-01"
    assert store.commits == 1
