import pytest

from inventory.domain.reservations import CONSUMED, RELEASED
from ticket_events import redelivered, repair_completed, ticket_created

from fakes import FakeUnitOfWork, fake_bus, stock_up

SITE = "SH-01"
SHELF = {"BELT-2": 5, "MOTOR-9": 1, "PUMP-1": 3, "SEAL-3": 4}


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    stock_up(uow, SITE, SHELF)
    return uow


def levels(uow):
    return {part_no: (stock.on_hand, stock.reserved) for (_, part_no), stock in sorted(uow.stock.levels.items())}


def test_used_parts_leave_the_shelf_and_the_rest_of_the_hold_is_released(uow):
    bus = fake_bus(uow)
    created = ticket_created([("PUMP-1", 2), ("BELT-2", 1), ("MOTOR-9", 1)])
    ticket_id = created.data["ticket_id"]
    bus.handle(created)
    assert levels(uow)["PUMP-1"] == (3, 2)

    # One pump of the two held, the belt as held, the motor not at all, and a seal nobody reserved.
    bus.handle(repair_completed(ticket_id, [("PUMP-1", 1), ("BELT-2", 1), ("SEAL-3", 1)]))

    assert levels(uow) == {"BELT-2": (4, 0), "MOTOR-9": (1, 0), "PUMP-1": (2, 0), "SEAL-3": (3, 0)}
    reservation = uow.reservations.for_ticket(ticket_id)
    assert reservation.status == CONSUMED and reservation.consumed_at is not None
    assert uow.reservations.completion_of(ticket_id).site == SITE


def test_using_more_than_was_held_releases_the_hold_and_takes_what_was_used(uow):
    bus = fake_bus(uow)
    created = ticket_created([("SEAL-3", 1)])
    other = ticket_created([("SEAL-3", 2)])
    bus.handle(created)
    bus.handle(other)

    bus.handle(repair_completed(created.data["ticket_id"], [("SEAL-3", 3)]))

    seal = uow.stock.levels[SITE, "SEAL-3"]
    assert (seal.on_hand, seal.reserved, seal.available) == (1, 2, 0)


def test_a_part_used_beyond_what_is_on_the_shelf_empties_it_without_going_negative(uow):
    fake_bus(uow).handle(repair_completed("T-1", [("MOTOR-9", 3), ("NEVER-STOCKED", 1)]))

    assert levels(uow)["MOTOR-9"] == (0, 0)
    assert (SITE, "NEVER-STOCKED") not in uow.stock.levels


@pytest.mark.parametrize("requested, used", [
    ([("PUMP-1", 2), ("BELT-2", 1)], [("PUMP-1", 1), ("SEAL-3", 2)]),
    ([("PUMP-1", 1)], [("PUMP-1", 1)]),
    ([("MOTOR-9", 2)], [("MOTOR-9", 1)]),  # the reservation fails: only what was used comes off
    ([("BELT-2", 1)], []),
])
def test_repair_reported_before_the_ticket_ends_with_the_same_stock(requested, used):
    created = ticket_created(requested)
    completed = repair_completed(created.data["ticket_id"], used)

    in_order, overtaken = FakeUnitOfWork(), FakeUnitOfWork()
    for uow, events in ((in_order, (created, completed)), (overtaken, (completed, created))):
        stock_up(uow, SITE, SHELF)
        for event in events:
            fake_bus(uow).handle(event)

    assert levels(overtaken) == levels(in_order)
    assert all(reserved == 0 for _, reserved in levels(overtaken).values())


def test_a_ticket_arriving_after_its_repair_holds_and_emits_nothing(uow):
    created = ticket_created([("PUMP-1", 1)])
    bus = fake_bus(uow)
    bus.handle(repair_completed(created.data["ticket_id"], [("PUMP-1", 1)]))

    bus.handle(created)

    assert uow.outbox == []
    assert uow.reservations.for_ticket(created.data["ticket_id"]) is None
    assert levels(uow)["PUMP-1"] == (2, 0)


def test_a_repair_after_a_failed_reservation_takes_what_was_used(uow):
    created = ticket_created([("MOTOR-9", 2)])
    bus = fake_bus(uow)
    bus.handle(created)

    bus.handle(repair_completed(created.data["ticket_id"], [("MOTOR-9", 1)]))

    assert levels(uow)["MOTOR-9"] == (0, 0)
    assert uow.reservations.for_ticket(created.data["ticket_id"]).status == RELEASED  # a backorder stops waiting once the repair is done


def test_a_duplicated_envelope_consumes_once(uow):
    created = ticket_created([("PUMP-1", 2)])
    completed = repair_completed(created.data["ticket_id"], [("PUMP-1", 1)])
    bus = fake_bus(uow)
    bus.handle(created)
    bus.handle(completed)

    assert bus.handle(completed) is False

    assert levels(uow)["PUMP-1"] == (2, 0)


def test_a_second_repair_report_for_the_same_ticket_consumes_nothing(uow):
    created = ticket_created([("PUMP-1", 2)])
    completed = repair_completed(created.data["ticket_id"], [("PUMP-1", 1)])
    bus = fake_bus(uow)
    bus.handle(created)
    bus.handle(completed)

    assert bus.handle(redelivered(completed)) is True
    bus.handle(repair_completed(created.data["ticket_id"], [("PUMP-1", 1)]))

    assert levels(uow)["PUMP-1"] == (2, 0)
    assert uow.outbox[1:] == []


def test_repair_reports_without_a_ticket_are_also_counted_once(uow):
    completed = repair_completed("T-9", [("BELT-2", 2)])
    bus = fake_bus(uow)
    bus.handle(completed)
    bus.handle(redelivered(completed))

    assert levels(uow)["BELT-2"] == (3, 0)
