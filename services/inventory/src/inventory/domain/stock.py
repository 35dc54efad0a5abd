"""Stock of one part at one service point (备件管理): what is on the shelf, what is promised, what it cost."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

# Finer than money: a moving average rounded to cents at every receipt would drift.
COST_STEP = Decimal("0.0001")
ZERO_COST = Decimal("0.0000")
# The most one shelf can count: what a 4-byte integer holds.
MAX_ON_HAND = 2**31 - 1


class StockLimitExceeded(ValueError):
    def __init__(self, site: str, part_no: str, on_hand: int, qty: int):
        super().__init__(f"{part_no} at {site}: {on_hand} on hand, {qty} more would pass the limit of {MAX_ON_HAND}")


class InsufficientStock(Exception):
    def __init__(self, site: str, part_no: str, requested: int, available: int):
        super().__init__(f"{part_no} at {site}: {requested} requested, {available} available")
        self.requested = requested
        self.available = available


@dataclass
class StockLevel:
    site: str
    part_no: str
    on_hand: int = 0
    reserved: int = 0
    unit_cost: Decimal = ZERO_COST

    @property
    def available(self) -> int:
        # A repair may use more than was held for it, leaving other tickets' holds uncovered for a while.
        return max(self.on_hand - self.reserved, 0)

    def receive(self, qty: int, unit_cost: Decimal) -> None:
        """Moving-average cost: the shelf is worth what was paid for what is on it."""
        _require_positive(qty)
        if unit_cost < 0:
            raise ValueError(f"unit cost cannot be negative, got {unit_cost}")
        if self.on_hand + qty > MAX_ON_HAND:
            raise StockLimitExceeded(self.site, self.part_no, self.on_hand, qty)
        total_value = self.on_hand * self.unit_cost + qty * unit_cost
        self.on_hand += qty
        self.unit_cost = (total_value / self.on_hand).quantize(COST_STEP, rounding=ROUND_HALF_UP)

    def hold(self, qty: int) -> None:
        _require_positive(qty)
        if qty > self.available:
            raise InsufficientStock(self.site, self.part_no, qty, self.available)
        self.reserved += qty

    def release(self, qty: int) -> None:
        self.reserved = max(self.reserved - qty, 0)

    def take(self, qty: int) -> None:
        """Parts an engineer fitted leave the shelf; the books cannot count fewer than none."""
        _require_positive(qty)
        self.on_hand = max(self.on_hand - qty, 0)


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
