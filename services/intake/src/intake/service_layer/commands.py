from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
    # None: the site's policy decides (for out-of-warranty tickets).
    quote_required: bool | None = None
    # Open in `diagnosing`: solved on the phone, or sent on for dispatch by the operator.
    diagnose_first: bool = False
    operator: str = "desk"


@dataclass(frozen=True)
class TicketAction:
    """An operator's action on one ticket: dispatch, resolve_by_phone, accept_quote, decline_quote, cancel."""

    ticket_id: str
    action: str
    operator: str = "desk"
    reason: str = ""
    article_id: str | None = None


@dataclass(frozen=True)
class GiveQuote:
    ticket_id: str
    amount: Decimal
    valid_until: datetime
    operator: str = "desk"


@dataclass(frozen=True)
class RecordCallback:
    ticket_id: str
    outcome: str
    score: int | None = None
    remarks: str | None = None
    operator: str = "desk"


@dataclass(frozen=True)
class CloseTicket:
    ticket_id: str
    resolution: str
    reason: str = ""
    operator: str = "desk"


@dataclass(frozen=True)
class FileComplaint:
    ticket_id: str
    group: str
    deadline: datetime
    reason: str
    operator: str = "desk"


@dataclass(frozen=True)
class SupplyProof:
    """Proof of purchase seen after the call: the warranty is decided again."""

    ticket_id: str
    purchase_date: object  # date
    proof_of_purchase: str
    operator: str = "desk"
