"""What inventory does when stock arrives, a ticket asks for parts, or a repair reports what it used."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Callable

from aftersales_shared.idempotency import Answer, Replayed, remember, replayed
from aftersales_shared.outgoing import EventWriter
from aftersales_shared.timeutil import utcnow

from ..domain.catalogue import Part
from ..domain.deposits import Reconciliation, month_bounds
from ..domain.sites import IN_TRANSIT as TRAVELLING, Site, Transfer
from ..domain.stock import TRANSFER_IN, StockLevel, StockReceipt
from . import tickets
from .commands import AdjustStock, PutPart, PutSite, ReceiveStock, ShipTransfer
from .tickets import arrival_completes, fulfil_backorders
from .unit_of_work import InventoryUnitOfWork

# Backorders are fulfilled after a receipt or an arrival commits; the entrypoints call it from here.
__all__ = ["fulfil_backorders"]

# Region and site of an event about the whole catalogue rather than one service point.
CATALOGUE_WIDE = "all"


def receive_stock(cmd: ReceiveStock, uow: InventoryUnitOfWork, events: EventWriter,
                  clock: Callable[[], datetime] = utcnow,
                  answer: Callable[[StockLevel], Answer] | None = None) -> StockLevel | Replayed:
    """Adds the parts to the shelf, once per Idempotency-Key: a retry gets the first answer (as ``answer``
    wrote it down) and adds nothing. The catalogue's moving-average cost follows (a part not yet in the
    catalogue enters it here), and a changed price is published."""
    with uow:
        now = clock()
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        if cmd.region:
            uow.sites.learn(cmd.site, cmd.region, now)
        _make_room(uow, cmd.site, cmd.qty * cmd.unit_cost)
        # The catalogue entry is locked before any stock row, by every writer: no lock cycles.
        part, before = _part_for_update(uow, cmd.part_no, now)
        part.receive(cmd.qty, cmd.unit_cost)
        _publish_if_changed(uow, events, part, before, now)
        receipt_id = str(uuid.uuid4())
        level = uow.stock.levels_for_update(cmd.site, [cmd.part_no], create_missing=True)[cmd.part_no]
        level.receive(cmd.qty, cmd.unit_cost, reference=receipt_id)
        uow.stock.save(level, now)
        uow.stock.add_receipt(StockReceipt(
            id=receipt_id, site=cmd.site, part_no=cmd.part_no, qty=cmd.qty, unit_cost=cmd.unit_cost,
            received_at=now,
        ))
        remember(uow.requests, cmd.request, answer, level)
        uow.commit()
    return level


def adjust_stock(cmd: AdjustStock, uow: InventoryUnitOfWork, clock: Callable[[], datetime] = utcnow,
                 answer: Callable[[StockLevel], Answer] | None = None) -> StockLevel | Replayed:
    """A counted correction with its reason; the ledger keeps both."""
    with uow:
        now = clock()
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        level = uow.stock.levels_for_update(cmd.site, [cmd.part_no], create_missing=cmd.change > 0)[cmd.part_no]
        level.adjust(cmd.change, cmd.reason)
        uow.stock.save(level, now)
        remember(uow.requests, cmd.request, answer, level)
        uow.commit()
    return level


def put_part(cmd: PutPart, uow: InventoryUnitOfWork, events: EventWriter,
             clock: Callable[[], datetime] = utcnow) -> tuple[Part, bool]:
    """Creates or describes a catalogue entry; True when it was new. Cost comes from receipts only."""
    with uow:
        now = clock()
        part, before = _part_for_update(uow, cmd.part_no, now)
        part.describe(description=cmd.description, category=cmd.category, list_price=cmd.list_price,
                      returnable=cmd.returnable, superseded_by=cmd.superseded_by)
        _publish_if_changed(uow, events, part, before, now)
        uow.commit()
    return part, before is None


def publish_unpublished_parts(uow: InventoryUnitOfWork, events: EventWriter, now: datetime) -> int:
    """Parts carried into the catalogue from receipts booked before it existed are published once (the
    periodic job's work: a part's lock and its revision 0 make it once, however often it runs)."""
    published = 0
    with uow:
        for part_no in uow.catalogue.unpublished():
            part = uow.catalogue.for_update(part_no)
            if part is None or part.revision:
                continue
            _publish_if_changed(uow, events, part, None, now)
            published += 1
        uow.commit()
    return published


def _part_for_update(uow: InventoryUnitOfWork, part_no: str, now: datetime) -> tuple[Part, Part | None]:
    """The part's entry, locked, and a copy of it as it was (None for a part never published)."""
    part = uow.catalogue.for_update(part_no)
    if part is None:
        placeholder = Part.first_seen(part_no)
        placeholder.updated_at = now
        uow.catalogue.add(placeholder)  # or another transaction did: either way it is there now
        part = uow.catalogue.for_update(part_no)
    return part, (replace(part) if part.revision else None)


def _publish_if_changed(uow: InventoryUnitOfWork, events: EventWriter, part: Part, before: Part | None,
                        now: datetime) -> None:
    change = part.changed_since(before, now)
    uow.catalogue.save(part)
    if change is not None:
        uow.emit(events.envelope(change, subject=part.part_no, region=CATALOGUE_WIDE, site=CATALOGUE_WIDE,
                                 time=now))


def ship_transfer(cmd: ShipTransfer, uow: InventoryUnitOfWork, clock: Callable[[], datetime] = utcnow,
                  answer: Callable[[Transfer], Answer] | None = None) -> Transfer | Replayed:
    """Sends parts nobody at the source was promised to another site; they are in transit until received."""
    with uow:
        now = clock()
        earlier = replayed(uow.requests, cmd.request, now)
        if earlier is not None:
            return earlier
        level = uow.stock.levels_for_update(cmd.from_site, [cmd.part_no])[cmd.part_no]
        transfer = Transfer(str(uuid.uuid4()), cmd.part_no, cmd.qty, cmd.from_site, cmd.to_site, level.unit_cost,
                            None, TRAVELLING, now)
        _make_room(uow, cmd.to_site, transfer.value)
        level.ship(cmd.qty, transfer.id)
        uow.stock.save(level, now)
        uow.transfers.add(transfer)
        remember(uow.requests, cmd.request, answer, transfer)
        uow.commit()
    return transfer


def receive_transfer(transfer_id: str, uow: InventoryUnitOfWork, events: EventWriter,
                     clock: Callable[[], datetime] = utcnow) -> Transfer | None:
    """Parts in transit arrive at their site (once); a ticket they travelled for holds them."""
    with uow:
        now = clock()
        transfer = uow.transfers.for_update(transfer_id)
        if transfer is None or not transfer.arrive(now):
            return transfer
        if transfer.ticket_id is not None:
            uow.reservations.lock_ticket(transfer.ticket_id)  # ticket before stock, as everywhere
        level = uow.stock.levels_for_update(transfer.to_site, [transfer.part_no], create_missing=True)[
            transfer.part_no]
        level.receive(transfer.qty, transfer.unit_cost, reference=transfer.id, kind=TRANSFER_IN)
        arrival_completes(uow, transfer, level, events, now)
        uow.stock.save(level, now)
        uow.transfers.save(transfer)
        uow.commit()
    return transfer


def put_site(cmd: PutSite, uow: InventoryUnitOfWork, clock: Callable[[], datetime] = utcnow) -> tuple[Site, bool]:
    with uow:
        site = Site(cmd.site, cmd.region, cmd.deposit)
        created = uow.sites.put(site, clock())
        uow.commit()
    return site, created


def reconcile_deposit(site_name: str, month: date, uow: InventoryUnitOfWork) -> Reconciliation | None:
    """The month's deposit reconciliation of a service point; None for a site inventory does not know."""
    start, end = month_bounds(month)
    with uow:
        site = uow.sites.get(site_name)
        if site is None:
            return None
        opening = sum(uow.stock.value_moved(site_name, None, start).values(), Decimal(0))
        moved = uow.stock.value_moved(site_name, start, end)
    return Reconciliation.of(site_name, month, site.deposit, opening, moved)


def _make_room(uow: InventoryUnitOfWork, site_name: str, adding: Decimal) -> None:
    site = uow.sites.get(site_name)
    if site is not None:
        site.make_room(uow.stock.value_at(site_name) + uow.transfers.inbound_value(site_name), adding)


def event_handlers(events: EventWriter) -> dict:
    """The handlers of incoming events, with the wire format of what they emit."""
    return {
        "TicketCreated": partial(tickets.reserve_parts_for_ticket, events=events),
        "QuoteAccepted": partial(tickets.reserve_after_quote, events=events),
        "TicketCancelled": tickets.release_on_cancel,
        "TicketClosed": tickets.release_on_close,
        "RepairCompleted": tickets.consume_parts_used,
    }
