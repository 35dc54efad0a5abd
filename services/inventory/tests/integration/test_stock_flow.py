"""One ticket's parts through the real bus and SQL unit of work, on each database inventory runs on."""
from decimal import Decimal

from sqlalchemy import select

from inventory.adapters.tables import outbox, reservations
from inventory.service_layer import handlers
from inventory.service_layer.commands import ReceiveStock
from ticket_events import redelivered, repair_completed, ticket_created


def stock(inventory, part_no, site="SH-01"):
    with inventory.uow_factory() as uow:
        level = uow.stock.get(site, part_no)
    return level.on_hand, level.reserved, level.available


def test_receive_reserve_and_consume(inventory):
    for part_no, qty, cost in (("PUMP-1", 3, "10.00"), ("PUMP-1", 1, "14.00"), ("BELT-2", 2, "2.50")):
        handlers.receive_stock(ReceiveStock("SH-01", part_no, qty, Decimal(cost)), inventory.uow_factory(),
                               inventory.events)
    bus = inventory.runtime.bus
    created = ticket_created([("PUMP-1", 2), ("BELT-2", 1)])
    ticket_id = created.data["ticket_id"]

    assert bus.handle(created) is True
    assert bus.handle(created) is False
    assert stock(inventory, "PUMP-1") == (4, 2, 2)

    completed = repair_completed(ticket_id, [("PUMP-1", 1)])
    bus.handle(completed)
    bus.handle(redelivered(completed))

    assert stock(inventory, "PUMP-1") == (3, 0, 3)
    assert stock(inventory, "BELT-2") == (2, 0, 2)
    with inventory.uow_factory() as uow:
        assert uow.stock.get("SH-01", "PUMP-1").unit_cost == Decimal("11.0000")
        assert uow.reservations.for_ticket(ticket_id).status == "consumed"
    with inventory.runtime.engine.connect() as connection:
        assert connection.execute(select(outbox.c.event_type).order_by(outbox.c.position)).scalars().all() == [
            "PartPriceChanged", "PartPriceChanged", "PartPriceChanged", "PartReserved"]
        assert connection.execute(select(reservations.c.status)).scalars().all() == ["consumed"]


def test_ticket_overtaken_by_its_repair(inventory):
    handlers.receive_stock(ReceiveStock("SH-01", "PUMP-1", 2, Decimal("10.00")), inventory.uow_factory(),
                           inventory.events)
    created = ticket_created([("PUMP-1", 1)])
    bus = inventory.runtime.bus

    bus.handle(repair_completed(created.data["ticket_id"], [("PUMP-1", 1)]))
    bus.handle(created)

    assert stock(inventory, "PUMP-1") == (1, 0, 1)
    with inventory.runtime.engine.connect() as connection:
        assert connection.execute(select(outbox).where(outbox.c.event_type != "PartPriceChanged")).all() == []
