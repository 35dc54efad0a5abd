"""Parts held for a ticket: all requested lines or none, then consumed when the repair is done.

A reservation that cannot be held at the ticket's site from its own shelf may be completed by transfers
from other sites of the region (in transit until they arrive); otherwise it is backordered and a later
receipt fulfils it. Its lines are what the ticket asked for; ``held`` says how much of each is held now.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from .stock import StockLevel

HELD = "held"
#: Answered "short" by an earlier version: nothing held and nothing waiting.
FAILED = "failed"
BACKORDERED = "backordered"
AWAITING_QUOTE = "awaiting_quote"
IN_TRANSIT = "in_transit"
CONSUMED = "consumed"
RELEASED = "released"
STATUSES = (HELD, FAILED, BACKORDERED, AWAITING_QUOTE, IN_TRANSIT, CONSUMED, RELEASED)
#: Still waiting for parts: a receipt or a transfer may fulfil them, a cancellation ends them.
OPEN = (BACKORDERED, AWAITING_QUOTE, IN_TRANSIT)


@dataclass(frozen=True)
class PartQuantity:
    part_no: str
    qty: int


def merge_lines(lines: Iterable[PartQuantity]) -> list[PartQuantity]:
    """One line per part, in part_no order: the order every stock row is locked in."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.part_no] += line.qty
    return [PartQuantity(part_no, qty) for part_no, qty in sorted(totals.items())]


@dataclass
class ReservationLine:
    part_no: str
    qty: int
    from_site: str
    held: int = 0


@dataclass(frozen=True)
class Shortage:
    part_no: str
    requested: int
    available: int


@dataclass(frozen=True)
class TransferPlan:
    """Parts to send from another site of the region so that a ticket's reservation is complete."""

    part_no: str
    qty: int
    from_site: str


@dataclass
class Reservation:
    """One per ticket, kept whatever the outcome so that the ticket is answered once."""

    id: str
    ticket_id: str
    site: str
    status: str
    created_at: datetime
    lines: list[ReservationLine] = field(default_factory=list)
    shortages: list[Shortage] = field(default_factory=list)
    consumed_at: datetime | None = None
    region: str | None = None
    # When the ticket was raised: backorders are fulfilled in this order.
    requested_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def requested(cls, reservation_id: str, ticket_id: str, site: str, region: str | None,
                  parts: Iterable[PartQuantity], now: datetime, requested_at: datetime | None = None,
                  status: str = BACKORDERED) -> "Reservation":
        wanted = merge_lines(parts)
        if not wanted:
            raise ValueError("a reservation needs at least one line")
        return cls(reservation_id, ticket_id, site, status, now, region=region, requested_at=requested_at or now,
                   lines=[ReservationLine(line.part_no, line.qty, site) for line in wanted])

    @classmethod
    def all_or_nothing(
        cls, reservation_id: str, ticket_id: str, site: str, requested: Iterable[PartQuantity],
        levels: Mapping[str, StockLevel], now: datetime,
    ) -> "Reservation":
        """Holds every requested line at ``site``, or none when any line is short."""
        reservation = cls.requested(reservation_id, ticket_id, site, None, requested, now)
        reservation.hold_from(levels, now)
        return reservation

    @property
    def part_nos(self) -> list[str]:
        return [line.part_no for line in self.lines]

    @property
    def held_lines(self) -> list[ReservationLine]:
        return [line for line in self.lines if line.held]

    def shortages_at(self, levels: Mapping[str, StockLevel]) -> list[Shortage]:
        return [Shortage(line.part_no, line.qty, levels[line.part_no].available)
                for line in self.lines if levels[line.part_no].available < line.qty - line.held]

    def hold_from(self, levels: Mapping[str, StockLevel], now: datetime) -> bool:
        """Holds every line from the site's shelf if all of them are there; True when it did."""
        self.shortages = self.shortages_at(levels)
        if self.shortages:
            self.status = BACKORDERED
            return False
        for line in self.lines:
            if line.qty > line.held:
                levels[line.part_no].hold(line.qty - line.held, self.ticket_id)
                line.held = line.qty
        self.status, self.reason = HELD, None
        return True

    def hold_locally_and_await(self, levels: Mapping[str, StockLevel], plans: list[TransferPlan]) -> None:
        """What the site has is held now; the rest comes by transfer and is held when it arrives."""
        incoming: dict[str, int] = defaultdict(int)
        for plan in plans:
            incoming[plan.part_no] += plan.qty
        for line in self.lines:
            here = line.qty - line.held - incoming[line.part_no]
            if here > 0:
                levels[line.part_no].hold(here, self.ticket_id)
                line.held += here
        self.status, self.shortages = IN_TRANSIT, []

    def hold_arrival(self, level: StockLevel, qty: int) -> bool:
        """A transfer for this ticket arrived; True when that completed the reservation."""
        line = next(line for line in self.lines if line.part_no == level.part_no)
        take = min(qty, line.qty - line.held, level.available)
        if take > 0:
            level.hold(take, self.ticket_id)
            line.held += take
        if self.status == IN_TRANSIT and all(line.held >= line.qty for line in self.lines):
            self.status = HELD
            return True
        return False

    def release(self, levels: Mapping[str, StockLevel]) -> None:
        """The ticket is over without (more) parts: whatever is held goes back on the shelf."""
        for line in self.held_lines:
            levels[line.part_no].release(line.held, self.ticket_id)
            line.held = 0
        if self.status != CONSUMED:
            self.status = RELEASED

    def consume(self, levels: Mapping[str, StockLevel], now: datetime) -> None:
        """The repair is done: whatever was held is no longer promised (used parts leave on their own)."""
        was_held = self.status == HELD
        for line in self.held_lines:
            levels[line.part_no].release(line.held, self.ticket_id)
            line.held = 0
        if was_held:
            self.status = CONSUMED
            self.consumed_at = now
        elif self.status in OPEN:
            self.status = RELEASED


def plan_transfers(reservation: Reservation, local: Mapping[str, StockLevel],
                   elsewhere: Mapping[str, list[StockLevel]]) -> list[TransferPlan] | None:
    """Transfers from other sites that make up every short line, largest stock first; None when the
    region together has not enough of some part."""
    plans = []
    for line in reservation.lines:
        need = line.qty - line.held - local[line.part_no].available
        for donor in sorted(elsewhere.get(line.part_no, []), key=lambda level: (-level.available, level.site)):
            if need <= 0:
                break
            qty = min(need, donor.available)
            if qty > 0:
                plans.append(TransferPlan(line.part_no, qty, donor.site))
                need -= qty
        if need > 0:
            return None
    return plans


@dataclass(frozen=True)
class TicketCompletion:
    """A repair that has been accounted for; a later TicketCreated for it must hold nothing."""

    ticket_id: str
    site: str
    event_id: str
    completed_at: datetime


def settle_completed_repair(
    reservation: Reservation | None, parts_used: Iterable[PartQuantity],
    levels: Mapping[str, StockLevel], now: datetime, ticket_id: str | None = None,
) -> None:
    """Used parts come off the shelf whether or not they were held; the ticket's holds are all let go."""
    if reservation is not None:
        reservation.consume(levels, now)
    for part in merge_lines(parts_used):
        levels[part.part_no].take(part.qty, ticket_id)


def parts_touched(reservation: Reservation | None, parts_used: Iterable[PartQuantity]) -> list[str]:
    held = [line.part_no for line in reservation.held_lines] if reservation else []
    return sorted({*held, *(part.part_no for part in parts_used)})
