"""Faulty parts from replacement to the supplier's verdict; each step is told as FaultyPartReturned."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Callable

from aftersales_shared.envelope import Envelope
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.custody import FaultyPart, FaultyPartReturned
from .unit_of_work import InventoryUnitOfWork


SERIAL_LENGTH = 100


class UnknownFaultyPart(LookupError):
    pass


def expect_faulty_parts(event: Envelope, uow: InventoryUnitOfWork, now: datetime) -> None:
    """Part of handling RepairCompleted (once per ticket): every replaced part the catalogue says must be
    returned is expected back from the engineer."""
    for used in event.data["parts_used"]:
        part = uow.catalogue.get(used["part_no"])
        if part is None or not part.returnable:
            continue
        uow.custody.add(FaultyPart.replaced(
            str(uuid.uuid4()), event.data["ticket_id"], used["part_no"], used["qty"],
            _storable(used.get("faulty_serial")),
            event.site, event.region, event.data["completed_at"], now))


def receive_from_engineer(part_id: str, uow: InventoryUnitOfWork, events: EventWriter,
                          clock: Callable[[], datetime] = utcnow) -> FaultyPart:
    return _step(part_id, uow, events, clock, lambda part, now: (part.receive(now), []))


def ship_to_supplier(part_id: str, supplier: str, rma_no: str, uow: InventoryUnitOfWork, events: EventWriter,
                     clock: Callable[[], datetime] = utcnow) -> FaultyPart:
    return _step(part_id, uow, events, clock, lambda part, now: part.ship(supplier, rma_no, now))


def record_outcome(part_id: str, outcome: str, uow: InventoryUnitOfWork, events: EventWriter,
                   clock: Callable[[], datetime] = utcnow) -> FaultyPart:
    return _step(part_id, uow, events, clock, lambda part, now: (part.settle(outcome, now), []))


def _step(part_id, uow, events, clock, step) -> FaultyPart:
    with uow:
        now = clock()
        part = uow.custody.for_update(part_id)
        if part is None:
            raise UnknownFaultyPart(part_id)
        told, follow_ups = step(part, now)
        uow.custody.save(part)
        uow.custody.add_follow_ups(follow_ups)
        uow.emit(_envelope(events, told))
        uow.commit()
    return part


def _envelope(events: EventWriter, told: FaultyPartReturned) -> Envelope:
    part = told.part
    return events.envelope(told, subject=part.ticket_id, region=part.region, site=part.site, time=told.at)


def fire_follow_ups(uow_factory: Callable[[], InventoryUnitOfWork], now: datetime) -> int:
    """The periodic job: every milestone due by ``now`` fires once; from day 30 the part is escalated
    until its outcome is recorded. Returns how many milestones fired."""
    fired = 0
    with uow_factory() as uow:
        for follow_up in uow.custody.due_follow_ups(now):
            if not uow.custody.fire(follow_up, now):
                continue
            fired += 1
            if follow_up.escalates:
                part = uow.custody.for_update(follow_up.faulty_part_id)
                if part.escalated_at is None:
                    part.escalated_at = now
                    uow.custody.save(part)
        uow.commit()
    return fired


def _storable(serial: str | None) -> str | None:
    """A serial as the custody record can hold it: what a database cannot store is dropped, a long one cut."""
    if serial is None:
        return None
    return "".join(ch for ch in serial if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)[:SERIAL_LENGTH] or None
