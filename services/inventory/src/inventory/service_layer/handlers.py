"""What inventory does when stock arrives, a ticket asks for parts, or a repair reports what it used."""
from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.events import PartReservationFailed, PartReserved
from ..domain.reservations import (
    HELD, PartQuantity, Reservation, TicketCompletion, merge_lines, parts_touched, settle_completed_repair,
)
from ..domain.stock import StockLevel, StockReceipt
from .commands import ReceiveStock
from .unit_of_work import InventoryUnitOfWork


def receive_stock(cmd: ReceiveStock, uow: InventoryUnitOfWork, clock: Callable[[], datetime] = utcnow,
                  answer: Callable[[StockLevel], Answer] | None = None) -> StockLevel | Replayed:
    """Adds the parts to the shelf, once per Idempotency-Key: a retry gets the first answer (as ``answer``
    wrote it down) and adds nothing."""
    with uow:
        earlier = replayed(uow.requests, cmd.request, clock())
        if earlier is not None:
            return earlier
        level = uow.stock.levels_for_update(cmd.site, [cmd.part_no], create_missing=True)[cmd.part_no]
        level.receive(cmd.qty, cmd.unit_cost)
        uow.stock.save(level)
        uow.stock.add_receipt(StockReceipt(
            id=str(uuid.uuid4()), site=cmd.site, part_no=cmd.part_no, qty=cmd.qty, unit_cost=cmd.unit_cost,
            received_at=clock(),
        ))
        remember(uow.requests, cmd.request, answer, level)
        uow.commit()
    return level


def reserve_parts_for_ticket(event: Envelope, uow: InventoryUnitOfWork, events: EventWriter) -> None:
    """TicketCreated: hold every part the ticket asks for at its site, or nothing and say what is short."""
    ticket_id = event.data["ticket_id"]
    requested = merge_lines(PartQuantity(part["part_no"], part["qty"]) for part in event.data["parts"])
    if not requested:
        return
    uow.reservations.lock_ticket(ticket_id)
    # Already answered, or the repair was reported first and its parts are accounted for: nothing to hold.
    if uow.reservations.for_ticket(ticket_id) or uow.reservations.completion_of(ticket_id):
        return
    levels = uow.stock.levels_for_update(event.site, [line.part_no for line in requested])
    now = utcnow()
    reservation = Reservation.all_or_nothing(str(uuid.uuid4()), ticket_id, event.site, requested, levels, now)
    uow.reservations.add(reservation)
    if reservation.status == HELD:
        for level in levels.values():
            uow.stock.save(level)
        answer = PartReserved(reservation)
    else:
        answer = PartReservationFailed(reservation)
    uow.emit(events.follow_on(event, answer, subject=ticket_id, time=now))


def consume_parts_used(event: Envelope, uow: InventoryUnitOfWork) -> None:
    """RepairCompleted: used parts leave the shelf and the rest of the ticket's holds are released, once."""
    ticket_id = event.data["ticket_id"]
    uow.reservations.lock_ticket(ticket_id)
    if uow.reservations.completion_of(ticket_id) is not None:
        return
    reservation = uow.reservations.for_ticket(ticket_id)
    site = reservation.site if reservation else event.site
    used = [PartQuantity(part["part_no"], part["qty"]) for part in event.data["parts_used"]]
    levels = uow.stock.levels_for_update(site, parts_touched(reservation, used))
    settle_completed_repair(reservation, used, levels, utcnow())
    for level in levels.values():
        uow.stock.save(level)
    if reservation is not None:
        uow.reservations.save(reservation)
    uow.reservations.add_completion(TicketCompletion(ticket_id, site, event.id, event.data["completed_at"]))


def event_handlers(events: EventWriter) -> dict:
    """The handlers of incoming events, with the wire format of what they emit."""
    return {
        "TicketCreated": partial(reserve_parts_for_ticket, events=events),
        "RepairCompleted": consume_parts_used,
    }
