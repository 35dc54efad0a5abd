"""What inventory does when intake or dispatch tell it about a ticket: hold its parts (from the site's shelf,
by transfer from the region, or on backorder), wait for a quote, release on cancel or close, consume on
repair. Every handler first takes the ticket's lock, then stock rows in (site, part_no) order."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Callable, Iterable

from aftersales_shared.envelope import Envelope
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.events import PartReservationFailed, PartReserved
from ..domain.reservations import (
    AWAITING_QUOTE, BACKORDERED, CONSUMED, FAILED, IN_TRANSIT, RELEASED, PartQuantity, Reservation,
    TicketCompletion, TransferPlan, merge_lines, parts_touched, plan_transfers, settle_completed_repair,
)
from ..domain.sites import IN_TRANSIT as TRAVELLING, DepositExceeded, Site, Transfer
from .custody import expect_faulty_parts
from .unit_of_work import InventoryUnitOfWork

QUOTE_ACCEPTED = "quote_accepted"
CANCELLED = "cancelled"
CLOSED = "closed"
ENDED = {CANCELLED, CLOSED}
UNKNOWN_REGION = "unknown"


def reserve_parts_for_ticket(event: Envelope, uow: InventoryUnitOfWork, events: EventWriter) -> None:
    """TicketCreated: hold every part the ticket asks for, or nothing and say what is short."""
    ticket_id = event.data["ticket_id"]
    requested = merge_lines(PartQuantity(part["part_no"], part["qty"]) for part in event.data["parts"])
    if not requested:
        return
    uow.reservations.lock_ticket(ticket_id)
    now = utcnow()
    uow.sites.learn(event.site, event.region, now)
    # Already answered, or the repair was reported first and its parts are accounted for: nothing to hold.
    if uow.reservations.for_ticket(ticket_id) or uow.reservations.completion_of(ticket_id):
        return
    signals = uow.reservations.signals(ticket_id)
    if signals & ENDED:
        return
    waiting = bool(event.data.get("quote_required")) and QUOTE_ACCEPTED not in signals
    reservation = Reservation.requested(str(uuid.uuid4()), ticket_id, event.site, event.region, requested, now,
                                        requested_at=event.time, status=AWAITING_QUOTE if waiting else BACKORDERED)
    uow.reservations.add(reservation)
    if waiting:
        return
    answer = try_to_hold(uow, reservation, now)
    uow.reservations.save(reservation)
    if answer is not None:
        uow.emit(events.follow_on(event, answer, subject=ticket_id, time=now))


def reserve_after_quote(event: Envelope, uow: InventoryUnitOfWork, events: EventWriter) -> None:
    """QuoteAccepted: a ticket that waited for its customer's yes now gets its parts."""
    ticket_id = event.data["ticket_id"]
    uow.reservations.lock_ticket(ticket_id)
    now = utcnow()
    uow.reservations.add_signal(ticket_id, QUOTE_ACCEPTED, now)
    reservation = uow.reservations.for_ticket(ticket_id)
    if reservation is None or reservation.status != AWAITING_QUOTE:
        return  # TicketCreated comes later and finds the quote accepted, or it was answered already
    answer = try_to_hold(uow, reservation, now)
    uow.reservations.save(reservation)
    if answer is not None:
        uow.emit(events.follow_on(event, answer, subject=ticket_id, time=now))


def release_on_cancel(event: Envelope, uow: InventoryUnitOfWork) -> None:
    _release(event, uow, CANCELLED)


def release_on_close(event: Envelope, uow: InventoryUnitOfWork) -> None:
    _release(event, uow, CLOSED)


def _release(event: Envelope, uow: InventoryUnitOfWork, kind: str) -> None:
    """The ticket is over: whatever is still held for it goes back on the shelf; what waits stops waiting."""
    ticket_id = event.data["ticket_id"]
    uow.reservations.lock_ticket(ticket_id)
    now = utcnow()
    uow.reservations.add_signal(ticket_id, kind, now)
    reservation = uow.reservations.for_ticket(ticket_id)
    if reservation is None or reservation.status in (CONSUMED, RELEASED, FAILED):
        return
    levels = uow.stock.levels_for_update(reservation.site, [line.part_no for line in reservation.held_lines])
    reservation.release(levels)
    _save_levels(uow, levels.values(), now)
    uow.reservations.save(reservation)


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
    now = utcnow()
    settle_completed_repair(reservation, used, levels, now, ticket_id)
    _save_levels(uow, levels.values(), now)
    if reservation is not None:
        uow.reservations.save(reservation)
    uow.reservations.add_completion(TicketCompletion(ticket_id, site, event.id, event.data["completed_at"]))
    expect_faulty_parts(event, uow, now)


def try_to_hold(uow: InventoryUnitOfWork, reservation: Reservation, now: datetime):
    """Holds the reservation from the site's shelf, else arranges transfers from the region (PartReserved
    follows when they arrive), else backorders it. Returns the event to tell now, if any."""
    levels = uow.stock.levels_for_update(reservation.site, reservation.part_nos)
    if reservation.hold_from(levels, now):
        _save_levels(uow, levels.values(), now)
        return PartReserved(reservation)
    plans, donors = _plan_from_region(uow, reservation, levels)
    if plans:
        reservation.hold_locally_and_await(levels, plans)
        _save_levels(uow, levels.values(), now)
        _ship(uow, reservation, plans, donors, now)
        return None
    return PartReservationFailed(reservation)


def _plan_from_region(uow: InventoryUnitOfWork, reservation: Reservation, levels) -> tuple[list[TransferPlan], dict]:
    site = uow.sites.get(reservation.site) or Site(reservation.site, reservation.region)
    region = reservation.region or site.region
    if not region:
        return [], {}
    others = [name for name in uow.sites.in_region(region) if name != reservation.site]
    short = [shortage.part_no for shortage in reservation.shortages]
    hint = uow.stock.available_elsewhere(others, short)
    donors: dict[str, list] = {}
    # Locked site by site in name order; the hint only says which rows are worth locking.
    for donor_site in sorted({level.site for found in hint.values() for level in found}):
        for part_no, level in uow.stock.levels_for_update(donor_site, short).items():
            if level.available > 0:
                donors.setdefault(part_no, []).append(level)
    plans = plan_transfers(reservation, levels, donors)
    if not plans:
        return [], {}
    by_site = {(level.site, level.part_no): level for found in donors.values() for level in found}
    adding = sum((plan.qty * by_site[plan.from_site, plan.part_no].unit_cost for plan in plans), 0)
    try:
        site.make_room(uow.stock.value_at(site.site) + uow.transfers.inbound_value(site.site), adding)
    except DepositExceeded as exc:
        reservation.reason = f"transfer refused: {exc}"
        return [], {}
    return plans, by_site


def _ship(uow: InventoryUnitOfWork, reservation: Reservation, plans: list[TransferPlan], donors: dict,
          now: datetime) -> None:
    for plan in plans:
        donor = donors[plan.from_site, plan.part_no]
        transfer = Transfer(str(uuid.uuid4()), plan.part_no, plan.qty, plan.from_site, reservation.site,
                            donor.unit_cost, reservation.ticket_id, TRAVELLING, now)
        donor.ship(plan.qty, transfer.id)
        uow.transfers.add(transfer)
    _save_levels(uow, {id(level): level for level in donors.values()}.values(), now)


def fulfil_backorders(site: str, part_nos: Iterable[str] | None, uow_factory: Callable[[], InventoryUnitOfWork],
                      events: EventWriter, clock: Callable[[], datetime] = utcnow) -> int:
    """Stock arrived at ``site``: backordered tickets there are held in the order they were raised, each
    in its own transaction (ticket lock first, then stock, as everywhere). Returns how many were held."""
    with uow_factory() as uow:
        waiting = uow.reservations.backordered(site, part_nos)
    held = 0
    for ticket_id in waiting:
        with uow_factory() as uow:
            uow.reservations.lock_ticket(ticket_id)
            reservation = uow.reservations.for_ticket(ticket_id)
            if reservation is None or reservation.status != BACKORDERED:
                continue
            now = clock()
            levels = uow.stock.levels_for_update(reservation.site, reservation.part_nos)
            if not reservation.hold_from(levels, now):
                continue
            _save_levels(uow, levels.values(), now)
            uow.reservations.save(reservation)
            uow.emit(events.envelope(PartReserved(reservation), subject=ticket_id,
                                     region=reservation.region or UNKNOWN_REGION, site=reservation.site, time=now))
            uow.commit()
            held += 1
    return held


def arrival_completes(uow: InventoryUnitOfWork, transfer: Transfer, level, events: EventWriter,
                      now: datetime) -> None:
    """A transfer for a ticket arrived: hold it for the ticket, and tell once the ticket has everything."""
    if transfer.ticket_id is None:
        return
    uow.reservations.lock_ticket(transfer.ticket_id)
    reservation = uow.reservations.for_ticket(transfer.ticket_id)
    if reservation is None or reservation.status != IN_TRANSIT:
        return  # released meanwhile: the parts stay on the shelf for whoever needs them
    complete = reservation.hold_arrival(level, transfer.qty)
    uow.reservations.save(reservation)
    if complete:
        uow.emit(events.envelope(PartReserved(reservation), subject=reservation.ticket_id,
                                 region=reservation.region or UNKNOWN_REGION, site=reservation.site, time=now))


def _save_levels(uow: InventoryUnitOfWork, levels: Iterable, now: datetime) -> None:
    for level in levels:
        uow.stock.save(level, now)
