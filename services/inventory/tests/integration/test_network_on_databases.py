"""Transfers, backorders, quotes and releases through the SQL repositories, on each database."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from aftersales_shared.timeutil import utcnow
from inventory.adapters.tables import outbox
from inventory.service_layer import handlers, reports
from inventory.service_layer.commands import PutSite, ReceiveStock
from inventory.service_layer.jobs import fulfil_all_backorders
from ticket_events import ticket_created, ticket_event


def receive(inventory, site, part_no, qty, cost="10.00"):
    handlers.receive_stock(ReceiveStock(site, part_no, qty, Decimal(cost)), inventory.uow_factory(),
                           inventory.events)


def state(inventory, site, part_no, ticket_id=None):
    with inventory.uow_factory() as uow:
        level = uow.stock.get(site, part_no)
        reservation = uow.reservations.for_ticket(ticket_id) if ticket_id else None
        ledger = uow.stock.ledger(site, part_no)
    assert sum(m.on_hand_change for m in ledger) == level.on_hand
    assert sum(m.reserved_change for m in ledger) == level.reserved
    return level.on_hand, level.reserved, reservation.status if reservation else None


def outbox_types(inventory):
    with inventory.runtime.engine.connect() as connection:
        return [t for t in connection.execute(select(outbox.c.event_type).order_by(outbox.c.position)).scalars()
                if t != "PartPriceChanged"]


def test_transfer_then_backorder_then_fulfilment_then_release(inventory):
    for site in ("SH-01", "SH-02"):
        handlers.put_site(PutSite(site, "east", Decimal("10000.00")), inventory.uow_factory())
    receive(inventory, "SH-01", "PUMP-1", 1)
    receive(inventory, "SH-02", "PUMP-1", 2, "13.00")
    bus = inventory.runtime.bus

    first = ticket_created([("PUMP-1", 3)], site="SH-01")
    bus.handle(first)
    assert state(inventory, "SH-01", "PUMP-1", first.data["ticket_id"]) == (1, 1, "in_transit")
    assert state(inventory, "SH-02", "PUMP-1") == (0, 0, None)
    with inventory.reader() as uow:
        [transfer] = uow.transfers.listed("SH-01", "in_transit")
        assert uow.transfers.inbound_value("SH-01") == Decimal("26.0000")
    handlers.receive_transfer(transfer.id, inventory.uow_factory(), inventory.events)
    assert state(inventory, "SH-01", "PUMP-1", first.data["ticket_id"]) == (3, 3, "held")

    second = ticket_created([("PUMP-1", 1)], site="SH-01")
    bus.handle(second)
    assert state(inventory, "SH-01", "PUMP-1", second.data["ticket_id"]) == (3, 3, "backordered")
    receive(inventory, "SH-01", "PUMP-1", 1)
    assert fulfil_all_backorders(inventory.uow_factory, inventory.events, utcnow()) == 1
    assert state(inventory, "SH-01", "PUMP-1", second.data["ticket_id"]) == (4, 4, "held")

    bus.handle(ticket_event("TicketCancelled", first.data["ticket_id"]))
    assert state(inventory, "SH-01", "PUMP-1", first.data["ticket_id"]) == (4, 1, "released")
    assert outbox_types(inventory) == ["PartReserved", "PartReservationFailed", "PartReserved"]
    [slow] = reports.slow_stock_at("SH-01", 30, utcnow(), inventory.reader())
    assert (slow.part_no, slow.status, slow.on_hand) == ("PUMP-1", "dead", 4)
    assert reports.slow_stock_at("SH-02", 30, utcnow(), inventory.reader()) == []  # nothing left there
    reconciliation = handlers.reconcile_deposit("SH-01", date.today().replace(day=1), inventory.reader())
    assert reconciliation.closing_value == Decimal("46.00")  # 1 x 10 + 2 x 13 + 1 x 10

