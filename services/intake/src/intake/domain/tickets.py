"""A service request and the status it reaches as the other services report back."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable

from .policies import Sla, Warranty

CUSTOMER_NAMESPACE = uuid.UUID("6f1d2c3a-3b7e-4d0a-9a57-1f7d0c2b9e41")

# Status is derived from the events seen, ranked, so events arriving in any order converge.
STATUS_BY_EVENT = {
    "TicketCreated": "open",
    "PartReservationFailed": "awaiting_parts",
    "PartReserved": "parts_reserved",
    "EngineerAssigned": "assigned",
    "RepairCompleted": "completed",
    "SettlementPosted": "settled",
}
STATUS_RANK = {status: rank for rank, status in enumerate(
    ["open", "awaiting_parts", "parts_reserved", "assigned", "completed", "settled"])}


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    phone: str
    address: str | None = None


def customer_id_for(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return f"C-{uuid.uuid5(CUSTOMER_NAMESPACE, digits).hex[:16]}"


@dataclass(frozen=True)
class Product:
    model: str
    serial: str
    category: str
    purchase_date: date | None = None
    batch: str | None = None


@dataclass(frozen=True)
class Fault:
    description: str
    first_open_failure: bool
    symptom_code: str | None = None


@dataclass(frozen=True)
class PartRequest:
    part_no: str
    qty: int


@dataclass(frozen=True)
class TimelineEntry:
    event_id: str
    ticket_id: str
    type: str
    occurred_at: datetime
    source: str
    detail: dict = field(default_factory=dict)


@dataclass
class Ticket:
    id: str
    ticket_no: str
    channel: str
    service_type: str
    priority: str
    site: str
    region: str
    customer: Customer
    product: Product
    fault: Fault
    parts: list[PartRequest]
    warranty: Warranty
    sla: Sla
    created_at: datetime
    partner_id: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def status(self) -> str:
        return status_from(entry.type for entry in self.timeline)


def status_from(event_types: Iterable[str]) -> str:
    statuses = [STATUS_BY_EVENT[t] for t in event_types if t in STATUS_BY_EVENT]
    return max(statuses, key=STATUS_RANK.__getitem__, default="open")


def ticket_number(site: str, day: date, sequence: int) -> str:
    return f"{site.replace('-', '')}-{day:%Y%m%d}-{sequence:04d}"
