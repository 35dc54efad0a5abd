import pytest

from inventory.domain.reservations import BACKORDERED, HELD, PartQuantity, Reservation, Shortage
from inventory.domain.stock import StockLevel
from ticket_events import redelivered, ticket_created

from fakes import FakeUnitOfWork, fake_bus, stock_up

SITE = "SH-01"


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    stock_up(uow, SITE, {"BELT-2": 5, "MOTOR-9": 1, "PUMP-1": 3})
    return uow


def level(uow, part_no, site=SITE):
    return uow.stock.levels[site, part_no]


def test_all_lines_available_are_held_and_reported(uow):
    event = ticket_created([("PUMP-1", 2), ("BELT-2", 1)])

    fake_bus(uow).handle(event)

    assert (level(uow, "PUMP-1").reserved, level(uow, "BELT-2").reserved) == (2, 1)
    assert (level(uow, "PUMP-1").on_hand, level(uow, "BELT-2").on_hand) == (3, 5)
    [reserved] = uow.emitted("PartReserved")
    assert reserved.data["lines"] == [
        {"part_no": "BELT-2", "qty": 1, "from_site": SITE},
        {"part_no": "PUMP-1", "qty": 2, "from_site": SITE},
    ]
    ticket_id = event.data["ticket_id"]
    assert reserved.data["ticket_id"] == ticket_id and reserved.data["site"] == SITE
    assert reserved.data["expires_at"] is None
    assert (reserved.subject, reserved.correlation_id, reserved.causation_id) == (ticket_id, ticket_id, event.id)
    assert reserved.routing_key == "PartReserved.east.SH-01"
    assert uow.reservations.for_ticket(ticket_id).status == HELD
    assert uow.emitted("PartReservationFailed") == []


def test_one_short_line_holds_nothing_and_lists_only_the_short_lines(uow):
    event = ticket_created([("PUMP-1", 2), ("MOTOR-9", 2), ("FAN-4", 1)])

    fake_bus(uow).handle(event)

    assert all(stock.reserved == 0 for stock in uow.stock.levels.values())
    [failed] = uow.emitted("PartReservationFailed")
    assert failed.data["shortages"] == [
        {"part_no": "FAN-4", "requested": 1, "available": 0},
        {"part_no": "MOTOR-9", "requested": 2, "available": 1},
    ]
    assert failed.data["ticket_id"] == event.data["ticket_id"] and failed.data["site"] == SITE
    assert failed.data["reservation_id"] and failed.data["failed_at"]
    assert uow.emitted("PartReserved") == []
    assert uow.reservations.for_ticket(event.data["ticket_id"]).status == BACKORDERED


def test_stock_already_promised_to_another_ticket_is_not_available(uow):
    bus = fake_bus(uow)
    bus.handle(ticket_created([("PUMP-1", 2)]))
    bus.handle(ticket_created([("PUMP-1", 2)]))

    assert level(uow, "PUMP-1").reserved == 2
    [failed] = uow.emitted("PartReservationFailed")
    assert failed.data["shortages"] == [{"part_no": "PUMP-1", "requested": 2, "available": 1}]


def test_only_stock_at_the_tickets_site_counts(uow):
    fake_bus(uow).handle(ticket_created([("PUMP-1", 1)], site="BJ-02", region="north"))

    assert level(uow, "PUMP-1").reserved == 0
    [failed] = uow.emitted("PartReservationFailed")
    assert failed.site == "BJ-02" and failed.routing_key == "PartReservationFailed.north.BJ-02"


def test_repeated_part_lines_are_reserved_as_one(uow):
    fake_bus(uow).handle(ticket_created([("PUMP-1", 1), ("PUMP-1", 2)]))

    assert level(uow, "PUMP-1").reserved == 3
    [reserved] = uow.emitted("PartReserved")
    assert reserved.data["lines"] == [{"part_no": "PUMP-1", "qty": 3, "from_site": SITE}]


def test_a_ticket_without_parts_reserves_and_emits_nothing(uow):
    event = ticket_created([])

    assert fake_bus(uow).handle(event) is True

    assert uow.outbox == []
    assert uow.reservations.for_ticket(event.data["ticket_id"]) is None
    assert all(stock.reserved == 0 for stock in uow.stock.levels.values())


def test_a_duplicated_envelope_reserves_once(uow):
    event = ticket_created([("PUMP-1", 2)])
    bus = fake_bus(uow)

    assert bus.handle(event) is True
    assert bus.handle(event) is False

    assert level(uow, "PUMP-1").reserved == 2
    assert len(uow.outbox) == 1


def test_the_same_ticket_under_a_new_envelope_id_is_answered_once(uow):
    event = ticket_created([("PUMP-1", 2)])
    bus = fake_bus(uow)
    bus.handle(event)
    bus.handle(redelivered(event))

    assert level(uow, "PUMP-1").reserved == 2
    assert len(uow.outbox) == 1


def test_a_failed_ticket_delivered_again_is_not_retried(uow):
    event = ticket_created([("MOTOR-9", 5)])
    bus = fake_bus(uow)
    bus.handle(event)
    stock_up(uow, SITE, {"MOTOR-9": 10})
    bus.handle(redelivered(event))

    assert level(uow, "MOTOR-9").reserved == 0
    assert [e.type for e in uow.outbox] == ["PartReservationFailed"]


def test_the_rule_itself_holds_nothing_when_one_line_is_short():
    levels = {"A": StockLevel(SITE, "A", on_hand=5), "B": StockLevel(SITE, "B", on_hand=1)}
    reservation = Reservation.all_or_nothing(
        "r-1", "t-1", SITE, [PartQuantity("A", 5), PartQuantity("B", 2)], levels, now=None)

    assert reservation.status == BACKORDERED and all(line.held == 0 for line in reservation.lines)
    assert reservation.shortages == [Shortage("B", 2, 1)]
    assert levels["A"].reserved == 0 and levels["B"].reserved == 0
