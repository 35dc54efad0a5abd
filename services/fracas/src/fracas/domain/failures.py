"""Failure reports: every repair is one, and billing later says what it cost."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

# A visit that found nothing wrong, or only installed the unit, says nothing about how long units live.
FAILURE_OUTCOMES = frozenset({"repaired", "replaced", "unrepairable"})


def is_failure(outcome: str) -> bool:
    return outcome in FAILURE_OUTCOMES


# Codes a repair report uses for what is no product failure, matched without regard to case.
NO_FAULT_CODES = frozenset({"no_fault_found", "nff"})
PHYSICAL_DAMAGE_CODES = frozenset({"physical_damage", "misuse", "transport_damage", "customer_damage"})
SOFTWARE_MODES = frozenset({"software", "firmware"})
# The repeat-call rule intake owns; applied here only when an event does not name the earlier ticket.
SOFTWARE_REPEAT_WINDOW = timedelta(hours=72)
HARDWARE_REPEAT_WINDOW = timedelta(days=7)
FULL_FOLLOW_UP = HARDWARE_REPEAT_WINDOW


def _lower(code: str | None) -> str:
    return (code or "").strip().lower()


def is_no_fault_found(outcome: str, failure: "FailureDetail") -> bool:
    return outcome == "no_fault_found" or _lower(failure.failure_mode) in NO_FAULT_CODES \
        or _lower(failure.cause_code) in NO_FAULT_CODES


def is_physical_damage(failure: "FailureDetail") -> bool:
    return _lower(failure.failure_mode) in PHYSICAL_DAMAGE_CODES or _lower(failure.cause_code) in PHYSICAL_DAMAGE_CODES


def is_relevant(outcome: str, failure: "FailureDetail") -> bool:
    """A relevant failure says something about the product's reliability: a failing outcome, not NFF."""
    return is_failure(outcome) and not is_no_fault_found(outcome, failure)


def is_chargeable(outcome: str, failure: "FailureDetail") -> bool:
    """Counts against the product (MIL-HDBK-2155): relevant and not caused by damage from outside."""
    return is_relevant(outcome, failure) and not is_physical_damage(failure)


def repeat_window(failure_mode: str | None) -> timedelta:
    return SOFTWARE_REPEAT_WINDOW if _lower(failure_mode) in SOFTWARE_MODES else HARDWARE_REPEAT_WINDOW


def repeats(earlier: "FailureRecord", later_started: datetime, later_mode: str | None) -> bool:
    """Whether a call starting at ``later_started`` repeats the repair ``earlier``: the same unit back
    within the window of the fault (72 h software, 7 days hardware) after that repair was completed."""
    gap = later_started - earlier.completed_at
    return timedelta(0) < gap <= repeat_window(later_mode or earlier.failure.failure_mode)


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
    repeat_of: str | None = None


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
    site: str | None = None
    region: str | None = None
    repeat_of: str | None = None

    @property
    def counts_as_failure(self) -> bool:
        return is_failure(self.outcome)

    @property
    def relevant(self) -> bool:
        return is_relevant(self.outcome, self.failure)

    @property
    def chargeable(self) -> bool:
        return is_chargeable(self.outcome, self.failure)

    @property
    def doa(self) -> bool:
        """Dead on arrival: the customer reported the fault at first opening (known once the ticket is)."""
        return bool(self.first_open_failure)

    @property
    def first_time_fix(self) -> bool:
        return self.outcome in ("repaired", "replaced")

    @property
    def failed_on(self) -> date:
        return failure_day(self.completed_at)


def failure_day(completed_at: datetime) -> date:
    """Ages are counted in UTC calendar days, the same everywhere the platform runs."""
    return completed_at.astimezone(timezone.utc).date()
