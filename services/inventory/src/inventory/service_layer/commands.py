from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ReceiveStock:
    site: str
    part_no: str
    qty: int
    unit_cost: Decimal
