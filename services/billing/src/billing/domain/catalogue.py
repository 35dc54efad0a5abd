"""Billing's replica of inventory's parts catalogue: every published price, effective-dated.

Inventory owns the catalogue and publishes each change as PartPriceChanged with a revision that
increases per part. Billing keeps every revision it accepted (a history, so a job is priced with what
was in force when it was completed) and ignores one that is not newer than what it holds: a
redelivered or late-arriving older revision must not overwrite the current price.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional


@dataclass(frozen=True)
class PartPrice:
    part_no: str
    unit_cost: Decimal
    list_price: Optional[Decimal]  # None: inventory has not set a selling price yet
    revision: int
    effective_at: datetime
    description: str = ""
    category: str = ""
    returnable: bool = False


def price_in_force(history: Iterable[PartPrice], moment: datetime) -> Optional[PartPrice]:
    """The newest revision effective at ``moment``.

    A job completed before the part's first published price (its receipt reached billing late, or the
    part was fitted from a stock taken over before the catalogue existed) is priced with that first
    price: it is the only price anyone ever set, and holding the job forever would help nobody.
    """
    revisions = sorted(history, key=lambda price: price.revision)
    if not revisions:
        return None
    effective = [price for price in revisions if price.effective_at <= moment]
    return effective[-1] if effective else revisions[0]


def is_newer(candidate: PartPrice, current_revision: Optional[int]) -> bool:
    return current_revision is None or candidate.revision > current_revision
