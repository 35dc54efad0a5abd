import copy
from datetime import timedelta

import pytest

from aftersales_shared.testing.contract import assert_conforms
from aftersales_shared.timeutil import to_rfc3339

from dispatch.bootstrap import event_writer
from dispatch.domain.work_orders import (
    AlreadyCompleted, Failure, InvalidCompletion, NotAssigned, UnknownWorkOrder,
)
from dispatch.service_layer import handlers
from dispatch.service_layer.commands import CompleteWorkOrder

from fakes import FakeUnitOfWork
from samples import engineer, job_report, ticket_created


@pytest.fixture
def open_work_order(bus, uow_factory, clock, events):
    """A ticket's work order, assigned to E-1 (or left unassigned when nobody is registered)."""

    def make(with_engineer=True, **ticket):
        if with_engineer:
            handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
        event = ticket_created(**ticket)
        bus.handle(event)
        with uow_factory() as uow:
            return uow.work_orders.for_ticket(event.data["ticket_id"])

    return make


def complete(uow_factory, clock, work_order_id, **report):
    return handlers.complete_work_order(CompleteWorkOrder(work_order_id, job_report(**report)), uow_factory(), clock,
                                        events=event_writer())


def test_completing_records_the_job_and_announces_repair_completed(open_work_order, uow_factory, store, clock):
    work_order = open_work_order()
    dispatched_at = work_order.dispatched_at
    clock.advance(hours=2)

    done = complete(uow_factory, clock, work_order.id, warranty_status=None)

    assert (done.status, done.completed_at) == ("completed", clock.now)
    [event] = store.emitted("RepairCompleted")
    assert_conforms(event.to_dict())
    assert event.routing_key == "RepairCompleted.east.SH-01"
    assert (event.source, event.subject, event.correlation_id, event.causation_id) == (
        "dispatch", work_order.ticket_id, work_order.ticket_id, None)
    assert event.time == clock.now
    report = job_report()
    assert event.data == {
        "ticket_id": work_order.ticket_id, "work_order_id": work_order.id, "engineer_id": "E-1",
        "service_type": "onsite", "outcome": "repaired",
        "dispatched_at": to_rfc3339(dispatched_at), "arrived_at": to_rfc3339(report.arrived_at),
        "completed_at": to_rfc3339(clock.now), "labour_minutes": 45,
        "parts_used": [{"part_no": "PSU-55", "qty": 1, "faulty_serial": "PSU-BAD-1", "new_serial": "PSU-NEW-1"}],
        "failure": {"symptom_code": "NO_PICTURE", "failure_mode": "open_circuit", "cause_code": "SURGE",
                    "failed_part_no": "PSU-55", "description": "PSU fuse open"},
        "warranty_status": "in_warranty",
        "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television",
                    "purchase_date": "2025-06-01", "batch": "B2405"},
        "customer_signed": True, "satisfaction": 5,
        "repeat_of": None, "travel_km": None, "site": "SH-01", "region": "east",
    }
    with uow_factory() as uow:
        stored = uow.work_orders.get(work_order.id)
    assert stored.status == "completed"
    assert stored.completion == done.completion


def test_what_may_be_left_out_goes_out_as_null(open_work_order, uow_factory, store, clock):
    work_order = open_work_order(purchase_date=None, warranty="unknown")

    complete(uow_factory, clock, work_order.id, arrived_at=None, satisfaction=None, parts_used=(),
             warranty_status="out_of_warranty", failure=Failure(""))

    [event] = store.emitted("RepairCompleted")
    assert_conforms(event.to_dict())
    assert event.data["arrived_at"] is None
    assert event.data["satisfaction"] is None
    assert event.data["parts_used"] == []
    assert event.data["product"]["purchase_date"] is None
    assert event.data["failure"] == {"symptom_code": None, "failure_mode": None, "cause_code": None,
                                     "failed_part_no": None, "description": ""}


def test_the_engineer_may_overrule_the_tickets_warranty_on_inspection(open_work_order, uow_factory, store, clock):
    work_order = open_work_order(warranty="in_warranty")

    done = complete(uow_factory, clock, work_order.id, warranty_status="out_of_warranty",
                    failure=Failure("Screen cracked by a fall", failure_mode="physical_damage"))

    assert done.completion.warranty_status == "out_of_warranty"
    assert store.emitted("RepairCompleted")[0].data["warranty_status"] == "out_of_warranty"


def test_an_unknown_warranty_must_be_decided_by_the_engineer(open_work_order, uow_factory, store, clock):
    work_order = open_work_order(purchase_date=None, warranty="unknown")

    with pytest.raises(InvalidCompletion) as refused:
        complete(uow_factory, clock, work_order.id, warranty_status=None)

    assert refused.value.field == "warranty_status"
    assert store.emitted("RepairCompleted") == []
    with uow_factory() as uow:
        assert uow.work_orders.get(work_order.id).status == "assigned"


def test_an_arrival_in_the_future_is_refused(open_work_order, uow_factory, store, clock):
    work_order = open_work_order()

    with pytest.raises(InvalidCompletion) as refused:
        complete(uow_factory, clock, work_order.id, arrived_at=clock.now + timedelta(hours=1))

    assert refused.value.field == "arrived_at"
    assert store.emitted("RepairCompleted") == []


def test_completing_twice_is_refused_and_emits_nothing_more(open_work_order, uow_factory, store, clock):
    work_order = open_work_order()
    first = complete(uow_factory, clock, work_order.id)
    clock.advance(minutes=5)

    with pytest.raises(AlreadyCompleted) as refused:
        complete(uow_factory, clock, work_order.id, outcome="unrepairable")

    assert refused.value.field == "status"
    assert len(store.emitted("RepairCompleted")) == 1
    with uow_factory() as uow:
        stored = uow.work_orders.get(work_order.id)
    assert (stored.completed_at, stored.completion.outcome) == (first.completed_at, "repaired")


def test_the_loser_of_a_completion_race_emits_nothing(open_work_order, store, clock):
    """Both read the work order as assigned; the conditional update lets only the first one through."""
    work_order = open_work_order()

    class ReadBeforeTheWinnerCommitted(FakeUnitOfWork):
        def _begin(self):
            super()._begin()
            stale = copy.deepcopy(work_order)
            self.work_orders.get = lambda work_order_id, for_update=False: stale

    complete(lambda: FakeUnitOfWork(store), clock, work_order.id)
    with pytest.raises(AlreadyCompleted):
        complete(lambda: ReadBeforeTheWinnerCommitted(store), clock, work_order.id)

    assert len(store.emitted("RepairCompleted")) == 1


def test_an_unassigned_work_order_cannot_be_completed(open_work_order, uow_factory, store, clock):
    work_order = open_work_order(with_engineer=False)

    with pytest.raises(NotAssigned) as refused:
        complete(uow_factory, clock, work_order.id)

    assert refused.value.field == "engineer_id"
    assert store.emitted("RepairCompleted") == []


def test_an_unknown_work_order_cannot_be_completed(uow_factory, store, clock):
    with pytest.raises(UnknownWorkOrder):
        complete(uow_factory, clock, "no-such-work-order")

    assert store.outbox == []
