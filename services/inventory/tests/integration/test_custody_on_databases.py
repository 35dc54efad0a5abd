"""Faulty-part custody through the SQL repositories and the service's own periodic job, on each database."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from inventory.adapters.tables import outbox
from inventory.service_layer import custody, handlers
from inventory.service_layer.commands import PutPart
from ticket_events import repair_completed

DONE = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def test_a_returnable_part_from_repair_to_escalated_follow_up(inventory):
    handlers.put_part(PutPart("PCB-1", "Main board", "pcb", Decimal("300.00"), returnable=True),
                      inventory.uow_factory(), inventory.events)
    inventory.runtime.bus.handle(repair_completed("T-9", [("PCB-1", 1)], completed_at=DONE))
    [job] = [job for job in inventory.runtime.periodic_jobs if job.name == "rma_follow_ups"]

    with inventory.reader() as uow:
        [part] = uow.custody.overdue(DONE + timedelta(hours=7))
    custody.receive_from_engineer(part.id, inventory.uow_factory(), inventory.events,
                                  clock=lambda: DONE + timedelta(hours=7))
    custody.ship_to_supplier(part.id, "Acme", "RMA-9", inventory.uow_factory(), inventory.events,
                             clock=lambda: DONE + timedelta(days=1))
    shipped = DONE + timedelta(days=1)

    assert [job.run(shipped + timedelta(days=d)) for d in (2, 3, 3, 8, 30)] == [0, 1, 0, 1, 2]
    with inventory.reader() as uow:
        assert uow.custody.overdue(DONE + timedelta(days=90)) == []
        escalated = uow.custody.listed(status="at_supplier")[0]
        fired = [f.day for f in uow.custody.follow_ups_of(part.id) if f.fired_at]
    assert escalated.escalated_at == shipped + timedelta(days=30) and fired == [3, 7, 15, 30]
    with inventory.runtime.engine.connect() as connection:
        told = connection.execute(select(outbox.c.routing_key).where(outbox.c.event_type == "FaultyPartReturned")
                                  .order_by(outbox.c.position)).scalars().all()
    assert told == ["FaultyPartReturned.east.SH-01"] * 2
