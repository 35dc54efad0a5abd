"""Stock of one part at one service point (备件管理): what is on the shelf, what is promised, what it cost."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

# Finer than money: a moving average rounded to cents at every receipt would drift.
COST_STEP = Decimal("0.0001")
ZERO_COST = Decimal("0.0000")
# The most one shelf can count: what a 4-byte integer holds.
MAX_ON_HAND = 2**31 - 1



def moving_average(held: int, average: Decimal, qty: int, unit_cost: Decimal) -> Decimal:
    """The average cost once ``qty`` units at ``unit_cost`` join ``held`` units at ``average``."""
    return ((held * average + qty * unit_cost) / (held + qty)).quantize(COST_STEP, rounding=ROUND_HALF_UP)

class StockLimitExceeded(ValueError):
    def __init__(self, site: str, part_no: str, on_hand: int, qty: int):
        super().__init__(f"{part_no} at {site}: {on_hand} on hand, {qty} more would pass the limit of {MAX_ON_HAND}")


class InsufficientStock(Exception):
    def __init__(self, site: str, part_no: str, requested: int, available: int):
        super().__init__(f"{part_no} at {site}: {requested} requested, {available} available")
        self.requested = requested
        self.available = available


# Kinds of movement in the ledger; every change of on_hand or reserved is one of them.
RECEIPT = "receipt"
ADJUSTMENT = "adjustment"
RESERVATION = "reservation"
RELEASE = "release"
CONSUMPTION = "consumption"
TRANSFER_OUT = "transfer_out"
TRANSFER_IN = "transfer_in"
OPENING = "opening"
MOVEMENT_KINDS = (OPENING, RECEIPT, ADJUSTMENT, RESERVATION, RELEASE, CONSUMPTION, TRANSFER_OUT, TRANSFER_IN)


@dataclass(frozen=True)
class Movement:
    """One line of the ledger: the sum of a part's on_hand_change at a site is its on hand, and of
    reserved_change its reserved; ``unit_cost`` is the cost the quantity moved at (its value)."""

    site: str
    part_no: str
    kind: str
    on_hand_change: int
    reserved_change: int
    unit_cost: Decimal
    reference: str | None = None
    reason: str | None = None
    at: datetime | None = None
    id: int | None = None

    @property
    def value_change(self) -> Decimal:
        return self.on_hand_change * self.unit_cost


@dataclass
class StockLevel:
    site: str
    part_no: str
    on_hand: int = 0
    reserved: int = 0
    unit_cost: Decimal = ZERO_COST
    # Movements made since the level was read; the repository writes them with the level.
    movements: list[Movement] = field(default_factory=list, compare=False, repr=False)

    @property
    def value(self) -> Decimal:
        return self.on_hand * self.unit_cost

    def _moved(self, kind: str, on_hand_change: int, reserved_change: int, reference: str | None,
               reason: str | None = None, unit_cost: Decimal | None = None) -> None:
        if on_hand_change or reserved_change:
            self.movements.append(Movement(self.site, self.part_no, kind, on_hand_change, reserved_change,
                                           self.unit_cost if unit_cost is None else unit_cost, reference, reason))

    @property
    def available(self) -> int:
        # A repair may use more than was held for it, leaving other tickets' holds uncovered for a while.
        return max(self.on_hand - self.reserved, 0)

    def receive(self, qty: int, unit_cost: Decimal, reference: str | None = None, kind: str = RECEIPT) -> None:
        """Moving-average cost: the shelf is worth what was paid for what is on it."""
        _require_positive(qty)
        if unit_cost < 0:
            raise ValueError(f"unit cost cannot be negative, got {unit_cost}")
        if self.on_hand + qty > MAX_ON_HAND:
            raise StockLimitExceeded(self.site, self.part_no, self.on_hand, qty)
        self.unit_cost = moving_average(self.on_hand, self.unit_cost, qty, unit_cost)
        self.on_hand += qty
        self._moved(kind, qty, 0, reference, unit_cost=unit_cost)

    def adjust(self, change: int, reason: str) -> None:
        """A count corrected (found, lost, damaged): always with the reason, never below nothing."""
        if change == 0:
            raise ValueError("an adjustment changes the count")
        if not reason:
            raise ValueError("an adjustment needs a reason")
        if self.on_hand + change < 0:
            raise InsufficientStock(self.site, self.part_no, -change, self.on_hand)
        if self.on_hand + change > MAX_ON_HAND:
            raise StockLimitExceeded(self.site, self.part_no, self.on_hand, change)
        self.on_hand += change
        self._moved(ADJUSTMENT, change, 0, None, reason)

    def hold(self, qty: int, reference: str | None = None) -> None:
        _require_positive(qty)
        if qty > self.available:
            raise InsufficientStock(self.site, self.part_no, qty, self.available)
        self.reserved += qty
        self._moved(RESERVATION, 0, qty, reference)

    def release(self, qty: int, reference: str | None = None) -> None:
        before = self.reserved
        self.reserved = max(self.reserved - qty, 0)
        self._moved(RELEASE, 0, self.reserved - before, reference)

    def take(self, qty: int, reference: str | None = None) -> None:
        """Parts an engineer fitted leave the shelf; the books cannot count fewer than none."""
        _require_positive(qty)
        before = self.on_hand
        self.on_hand = max(self.on_hand - qty, 0)
        self._moved(CONSUMPTION, self.on_hand - before, 0, reference)

    def ship(self, qty: int, reference: str) -> None:
        """Parts leave for another site; only what nobody here was promised may go."""
        _require_positive(qty)
        if qty > self.available:
            raise InsufficientStock(self.site, self.part_no, qty, self.available)
        self.on_hand -= qty
        self._moved(TRANSFER_OUT, -qty, 0, reference)


@dataclass(frozen=True)
class StockReceipt:
    id: str
    site: str
    part_no: str
    qty: int
    unit_cost: Decimal
    received_at: datetime


def _require_positive(qty: int) -> None:
    if qty < 1:
        raise ValueError(f"quantity must be at least 1, got {qty}")
