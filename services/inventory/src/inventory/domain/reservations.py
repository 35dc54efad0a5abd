"""Parts held for a ticket: all requested lines or none, then consumed when the repair is done."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from .stock import StockLevel

HELD = "held"
FAILED = "failed"
CONSUMED = "consumed"
STATUSES = (HELD, FAILED, CONSUMED)


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


@dataclass(frozen=True)
class ReservationLine:
    part_no: str
    qty: int
    from_site: str


@dataclass(frozen=True)
class Shortage:
    part_no: str
    requested: int
    available: int


@dataclass
class Reservation:
    """One per ticket. A failed one holds nothing; it is kept so that the ticket is answered once."""

    id: str
    ticket_id: str
    site: str
    status: str
    created_at: datetime
    lines: list[ReservationLine] = field(default_factory=list)
    shortages: list[Shortage] = field(default_factory=list)
    consumed_at: datetime | None = None

    @classmethod
    def all_or_nothing(
        cls, reservation_id: str, ticket_id: str, site: str, requested: Iterable[PartQuantity],
        levels: Mapping[str, StockLevel], now: datetime,
    ) -> "Reservation":
        """Holds every requested line at ``site``, or none when any line is short."""
        wanted = merge_lines(requested)
        if not wanted:
            raise ValueError("a reservation needs at least one line")
        shortages = [
            Shortage(line.part_no, line.qty, levels[line.part_no].available)
            for line in wanted
            if levels[line.part_no].available < line.qty
        ]
        if shortages:
            return cls(reservation_id, ticket_id, site, FAILED, now, shortages=shortages)
        for line in wanted:
            levels[line.part_no].hold(line.qty)
        lines = [ReservationLine(line.part_no, line.qty, from_site=site) for line in wanted]
        return cls(reservation_id, ticket_id, site, HELD, now, lines=lines)

    @property
    def held_lines(self) -> list[ReservationLine]:
        return self.lines if self.status == HELD else []

    def consume(self, levels: Mapping[str, StockLevel], now: datetime) -> None:
        """The repair is done: whatever was held is no longer promised (used parts leave on their own)."""
        for line in self.held_lines:
            levels[line.part_no].release(line.qty)
        if self.status == HELD:
            self.status = CONSUMED
            self.consumed_at = now


@dataclass(frozen=True)
class TicketCompletion:
    """A repair that has been accounted for; a later TicketCreated for it must hold nothing."""

    ticket_id: str
    site: str
    event_id: str
    completed_at: datetime


def settle_completed_repair(
    reservation: Reservation | None, parts_used: Iterable[PartQuantity],
    levels: Mapping[str, StockLevel], now: datetime,
) -> None:
    """Used parts come off the shelf whether or not they were held; the ticket's holds are all let go."""
    for part in merge_lines(parts_used):
        levels[part.part_no].take(part.qty)
    if reservation is not None:
        reservation.consume(levels, now)


def parts_touched(reservation: Reservation | None, parts_used: Iterable[PartQuantity]) -> list[str]:
    held = [line.part_no for line in reservation.held_lines] if reservation else []
    return sorted({*held, *(part.part_no for part in parts_used)})
