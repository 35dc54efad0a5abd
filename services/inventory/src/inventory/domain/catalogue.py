"""The parts catalogue inventory owns: what a part is, what it costs us and what it is sold for.

Billing prices parts from what inventory publishes (PartPriceChanged), so every change of a published
field raises the part's revision and is told; a receiver keeps the highest revision it has seen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from .money import money
from .stock import ZERO_COST, moving_average

UNCATEGORISED = "uncategorised"


@dataclass
class Part:
    part_no: str
    description: str
    category: str
    list_price: Decimal | None = None
    returnable: bool = False
    superseded_by: str | None = None
    # Moving average over every receipt of the part, at any site; finer than money so it does not drift.
    unit_cost: Decimal = ZERO_COST
    received_qty: int = 0
    revision: int = 0
    updated_at: datetime | None = None

    @classmethod
    def first_seen(cls, part_no: str) -> "Part":
        """A part received before anyone described it: its number stands in for the description."""
        return cls(part_no, description=part_no, category=UNCATEGORISED)

    def published(self) -> tuple:
        return (self.description, self.category, money(self.unit_cost),
                self.list_price, self.returnable)

    def receive(self, qty: int, unit_cost: Decimal) -> None:
        if qty < 1 or unit_cost < 0:
            raise ValueError(f"a receipt brings at least one part at a cost of zero or more, got {qty} at {unit_cost}")
        self.unit_cost = moving_average(self.received_qty, self.unit_cost, qty, unit_cost)
        self.received_qty += qty

    def describe(self, *, description: str, category: str, list_price: Decimal | None, returnable: bool,
                 superseded_by: str | None) -> None:
        if superseded_by == self.part_no:
            raise ValueError("a part cannot supersede itself")
        self.description, self.category, self.list_price = description, category, list_price
        self.returnable, self.superseded_by = returnable, superseded_by

    def changed_since(self, before: "Part | None", now: datetime) -> "PartPriceChanged | None":
        """Raises the revision when a published field changed (or the part is new), and says so."""
        self.updated_at = now
        if before is not None and before.published() == self.published():
            return None
        self.revision += 1
        return PartPriceChanged(replace(self), effective_at=now)


@dataclass(frozen=True)
class PartPriceChanged:
    part: Part
    effective_at: datetime
