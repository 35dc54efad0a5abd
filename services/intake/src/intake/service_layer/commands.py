from __future__ import annotations

from dataclasses import dataclass

from aftersales_shared.idempotency import IdempotentRequest

from ..domain.tickets import Fault, PartRequest, Product


@dataclass(frozen=True)
class CreateTicket:
    channel: str
    service_type: str
    priority: str
    site: str
    region: str
    customer_name: str
    customer_phone: str
    customer_address: str | None
    product: Product
    fault: Fault
    parts: tuple[PartRequest, ...]
    request: IdempotentRequest | None = None
    partner_id: str | None = None
