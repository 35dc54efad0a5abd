"""Short at the ticket's site: a transfer from the region, else a backorder that a later receipt fulfils in
ticket order; quotes hold reservations back; cancel and close release them."""
from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales_shared.testing.events import ACCEPTED_AT
from inventory.bootstrap import event_writer
from inventory.domain.reservations import AWAITING_QUOTE, BACKORDERED, HELD, IN_TRANSIT, RELEASED
from inventory.domain.sites import Site
from inventory.service_layer import handlers
from inventory.service_layer.commands import ReceiveStock
from ticket_events import repair_completed, ticket_created, ticket_event

from fakes import FakeUnitOfWork, fake_bus

HERE, THERE, FAR = "SH-01", "SH-02", "BJ-01"


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    for site, region in ((HERE, "east"), (THERE, "east"), (FAR, "north")):
        uow.sites.sites[site] = Site(site, region)
    return uow


def receive(uow, site, part_no, qty, cost="10.00"):
    handlers.receive_stock(ReceiveStock(site, part_no, qty, Decimal(cost)), uow, event_writer())
    return handlers.fulfil_backorders(site, [part_no], lambda: uow, event_writer())


def level(uow, site, part_no):
    stock = uow.stock.get(site, part_no)
    return (stock.on_hand, stock.reserved) if stock else (0, 0)


def reserved_for(uow, ticket_id):
    return [e for e in uow.emitted("PartReserved") if e.data["ticket_id"] == ticket_id]


def test_a_shortfall_is_made_up_by_a_transfer_from_the_region_and_reserved_when_it_arrives(uow):
    receive(uow, HERE, "PUMP-1", 1)
    receive(uow, THERE, "PUMP-1", 5, "12.00")
    receive(uow, FAR, "PUMP-1", 9)
    created = ticket_created([("PUMP-1", 3)], site=HERE)
    ticket_id = created.data["ticket_id"]

    fake_bus(uow).handle(created)

    [transfer] = uow.transfers.transfers.values()
    assert (transfer.from_site, transfer.to_site, transfer.qty, transfer.ticket_id) == (THERE, HERE, 2, ticket_id)
    assert transfer.status == "in_transit" and transfer.unit_cost == Decimal("12.0000")
    assert level(uow, THERE, "PUMP-1") == (3, 0) and level(uow, HERE, "PUMP-1") == (1, 1)
    assert level(uow, FAR, "PUMP-1") == (9, 0)  # another region's shelf is not touched
    assert uow.reservations.for_ticket(ticket_id).status == IN_TRANSIT
    assert uow.emitted("PartReserved") == [] and uow.emitted("PartReservationFailed") == []

    handlers.receive_transfer(transfer.id, uow, event_writer())
    handlers.receive_transfer(transfer.id, uow, event_writer())  # received once

    assert level(uow, HERE, "PUMP-1") == (3, 3)
    assert uow.reservations.for_ticket(ticket_id).status == HELD
    [reserved] = reserved_for(uow, ticket_id)
    assert reserved.routing_key == "PartReserved.east.SH-01" and reserved.correlation_id == ticket_id
    assert reserved.data["lines"] == [{"part_no": "PUMP-1", "qty": 3, "from_site": HERE}]
    kinds = [m.kind for m in uow.stock.ledger(HERE, "PUMP-1")] + [m.kind for m in uow.stock.ledger(THERE, "PUMP-1")]
    assert kinds == ["receipt", "reservation", "transfer_in", "reservation", "receipt", "transfer_out"]


def test_nothing_in_the_region_backorders_and_receipts_fulfil_in_ticket_order(uow):
    bus = fake_bus(uow)
    first = ticket_created([("PUMP-1", 2)], site=HERE, created_at=ACCEPTED_AT)
    second = ticket_created([("PUMP-1", 1)], site=HERE, created_at=ACCEPTED_AT + timedelta(minutes=5))
    bus.handle(second)  # delivered out of order: the ticket raised first is still served first
    bus.handle(first)

    failed = uow.emitted("PartReservationFailed")
    assert [e.data["ticket_id"] for e in failed] == [second.data["ticket_id"], first.data["ticket_id"]]
    assert failed[1].data["shortages"] == [{"part_no": "PUMP-1", "requested": 2, "available": 0}]

    assert receive(uow, HERE, "PUMP-1", 2) == 1
    assert [e.data["ticket_id"] for e in uow.emitted("PartReserved")] == [first.data["ticket_id"]]
    assert uow.reservations.for_ticket(second.data["ticket_id"]).status == BACKORDERED

    assert receive(uow, HERE, "PUMP-1", 1) == 1
    assert uow.reservations.for_ticket(second.data["ticket_id"]).status == HELD
    assert level(uow, HERE, "PUMP-1") == (3, 3)


def test_cancel_releases_what_is_held_and_a_backorder_stops_waiting(uow):
    receive(uow, HERE, "PUMP-1", 2)
    bus = fake_bus(uow)
    held = ticket_created([("PUMP-1", 2)], site=HERE)
    waiting = ticket_created([("PUMP-1", 1)], site=HERE)
    bus.handle(held)
    bus.handle(waiting)

    bus.handle(ticket_event("TicketCancelled", held.data["ticket_id"]))
    bus.handle(ticket_event("TicketClosed", waiting.data["ticket_id"], resolution="resolved_by_phone"))

    assert level(uow, HERE, "PUMP-1") == (2, 0)
    assert uow.reservations.for_ticket(held.data["ticket_id"]).status == RELEASED
    assert uow.reservations.for_ticket(waiting.data["ticket_id"]).status == RELEASED
    assert receive(uow, HERE, "PUMP-1", 1) == 0


def test_a_cancel_before_its_ticket_means_nothing_is_ever_held(uow):
    receive(uow, HERE, "PUMP-1", 2)
    created = ticket_created([("PUMP-1", 1)], site=HERE)
    bus = fake_bus(uow)
    bus.handle(ticket_event("TicketCancelled", created.data["ticket_id"]))
    bus.handle(created)

    assert level(uow, HERE, "PUMP-1") == (2, 0)
    assert uow.emitted("PartReserved") == []


def test_cancel_while_parts_travel_releases_the_local_part_and_the_arrival_stays_free(uow):
    receive(uow, HERE, "PUMP-1", 1)
    receive(uow, THERE, "PUMP-1", 1)
    created = ticket_created([("PUMP-1", 2)], site=HERE)
    bus = fake_bus(uow)
    bus.handle(created)
    bus.handle(ticket_event("TicketCancelled", created.data["ticket_id"]))
    [transfer] = uow.transfers.transfers.values()

    handlers.receive_transfer(transfer.id, uow, event_writer())

    assert level(uow, HERE, "PUMP-1") == (2, 0)
    assert uow.emitted("PartReserved") == []


def test_a_quote_required_ticket_holds_nothing_until_the_quote_is_accepted(uow):
    receive(uow, HERE, "PUMP-1", 2)
    created = ticket_created([("PUMP-1", 1)], site=HERE, quote_required=True)
    ticket_id = created.data["ticket_id"]
    bus = fake_bus(uow)
    bus.handle(created)

    assert uow.reservations.for_ticket(ticket_id).status == AWAITING_QUOTE
    assert level(uow, HERE, "PUMP-1") == (2, 0) and uow.emitted("PartReserved") == []

    accepted = ticket_event("QuoteAccepted", ticket_id)
    bus.handle(accepted)

    assert level(uow, HERE, "PUMP-1") == (2, 1)
    [reserved] = uow.emitted("PartReserved")
    assert reserved.causation_id == accepted.id


def test_a_quote_accepted_before_its_ticket_arrives_reserves_at_once(uow):
    receive(uow, HERE, "PUMP-1", 2)
    created = ticket_created([("PUMP-1", 1)], site=HERE, quote_required=True)
    bus = fake_bus(uow)
    bus.handle(ticket_event("QuoteAccepted", created.data["ticket_id"]))
    bus.handle(created)

    assert level(uow, HERE, "PUMP-1") == (2, 1)
    assert len(uow.emitted("PartReserved")) == 1


def test_a_repair_consumes_what_was_used_and_releases_the_rest(uow):
    receive(uow, HERE, "PUMP-1", 3)
    receive(uow, HERE, "BELT-2", 3)
    created = ticket_created([("PUMP-1", 2), ("BELT-2", 1)], site=HERE)
    bus = fake_bus(uow)
    bus.handle(created)
    bus.handle(repair_completed(created.data["ticket_id"], [("PUMP-1", 1)], site=HERE))

    assert level(uow, HERE, "PUMP-1") == (2, 0) and level(uow, HERE, "BELT-2") == (3, 0)
