from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aftersales_shared.idempotency import IdempotentRequest


@dataclass(frozen=True)
class ReceiveStock:
    site: str
    part_no: str
    qty: int
    unit_cost: Decimal
    request: IdempotentRequest | None = None
