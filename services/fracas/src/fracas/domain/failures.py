"""Failure reports: every repair is one, and billing later says what it cost."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

# A visit that found nothing wrong, or only installed the unit, says nothing about how long units live.
FAILURE_OUTCOMES = frozenset({"repaired", "replaced", "unrepairable"})


def is_failure(outcome: str) -> bool:
    return outcome in FAILURE_OUTCOMES


@dataclass(frozen=True)
class Product:
    model: str
    serial: str
    category: str | None = None
    purchase_date: date | None = None
    batch: str | None = None


@dataclass(frozen=True)
class TicketFacts:
    """What a ticket told us at intake that a repair report does not repeat."""

    ticket_id: str
    product: Product
    symptom_code: str | None
    first_open_failure: bool
    created_at: datetime


@dataclass(frozen=True)
class FailureDetail:
    symptom_code: str | None = None
    failure_mode: str | None = None
    cause_code: str | None = None
    failed_part_no: str | None = None
    description: str = ""


@dataclass(frozen=True)
class PartUsed:
    part_no: str
    qty: int
    faulty_serial: str | None = None
    new_serial: str | None = None


@dataclass(frozen=True)
class FailureCost:
    work_order_id: str
    settlement_id: str
    ticket_id: str
    customer: Decimal
    manufacturer: Decimal
    currency: str | None = None
    posted_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        return self.customer + self.manufacturer


@dataclass(frozen=True)
class FailureRecord:
    """One repair as a failure report; cost and the DOA flag join it whenever their events arrive."""

    work_order_id: str
    ticket_id: str
    engineer_id: str
    outcome: str
    completed_at: datetime
    failure: FailureDetail
    product: Product
    parts_used: tuple[PartUsed, ...]
    warranty_status: str | None
    first_open_failure: bool | None = None
    cost: FailureCost | None = None

    @property
    def counts_as_failure(self) -> bool:
        return is_failure(self.outcome)

    @property
    def failed_on(self) -> date:
        return failure_day(self.completed_at)


def failure_day(completed_at: datetime) -> date:
    """Ages are counted in UTC calendar days, the same everywhere the platform runs."""
    return completed_at.astimezone(timezone.utc).date()
