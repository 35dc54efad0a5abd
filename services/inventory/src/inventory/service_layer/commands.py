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
    region: str | None = None


@dataclass(frozen=True)
class PutPart:
    part_no: str
    description: str
    category: str
    list_price: Decimal | None = None
    returnable: bool = False
    superseded_by: str | None = None


@dataclass(frozen=True)
class AdjustStock:
    site: str
    part_no: str
    change: int
    reason: str
    request: IdempotentRequest | None = None


@dataclass(frozen=True)
class ShipTransfer:
    part_no: str
    qty: int
    from_site: str
    to_site: str
    request: IdempotentRequest | None = None


@dataclass(frozen=True)
class PutSite:
    site: str
    region: str | None
    deposit: Decimal | None
