"""A work order: one per ticket, from acceptance through assignment to the engineer's report of the job."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from aftersales_shared.vocabulary import WARRANTY_UNKNOWN

UNASSIGNED = "unassigned"
ASSIGNED = "assigned"
COMPLETED = "completed"
STATUSES = (UNASSIGNED, ASSIGNED, COMPLETED)

PARTS_RESERVED = "reserved"
PARTS_SHORT = "short"

# Handheld clocks drift; an arrival a few seconds "ahead" of the server is not a lie.
ARRIVAL_CLOCK_SKEW = timedelta(minutes=1)


class UnknownWorkOrder(LookupError):
    def __init__(self, work_order_id: str):
        self.work_order_id = work_order_id
        super().__init__(f"No work order {work_order_id}.")


class WorkOrderConflict(Exception):
    """The request does not fit the work order's state; ``field`` names what is in the way."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


class AlreadyCompleted(WorkOrderConflict):
    def __init__(self, work_order_id: str):
        super().__init__("status", f"Work order {work_order_id} is already completed.")


class NotAssigned(WorkOrderConflict):
    def __init__(self, work_order_id: str):
        super().__init__("engineer_id", f"Work order {work_order_id} has no engineer assigned yet.")


class InvalidCompletion(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Product:
    model: str
    serial: str
    category: str
    purchase_date: date | None = None
    batch: str | None = None


@dataclass(frozen=True)
class Sla:
    respond_by: datetime
    resolve_by: datetime


@dataclass(frozen=True)
class PartUsed:
    part_no: str
    qty: int
    faulty_serial: str | None = None
    new_serial: str | None = None


@dataclass(frozen=True)
class Failure:
    description: str
    symptom_code: str | None = None
    failure_mode: str | None = None
    cause_code: str | None = None
    failed_part_no: str | None = None


@dataclass(frozen=True)
class Completion:
    """The engineer's report of the job; warranty_status is None until decided against the ticket."""

    outcome: str
    labour_minutes: int
    parts_used: tuple[PartUsed, ...]
    failure: Failure
    customer_signed: bool
    warranty_status: str | None = None
    arrived_at: datetime | None = None
    satisfaction: int | None = None


@dataclass(frozen=True)
class PartsReport:
    """What inventory last said about a ticket's parts; kept per ticket, so it may come before the work order."""

    ticket_id: str
    status: str
    reservation_id: str | None
    reported_at: datetime

    def supersedes(self, other: "PartsReport | None") -> bool:
        # Reports arrive in any order: the latest fact wins, and at the same instant a reservation
        # beats a shortage, so every delivery order converges on the same status.
        if other is None:
            return True
        return (self.reported_at, self.status == PARTS_RESERVED) > (other.reported_at, other.status == PARTS_RESERVED)


@dataclass
class WorkOrder:
    id: str
    ticket_id: str
    site: str
    region: str
    service_type: str
    priority: str
    product: Product
    warranty_status: str
    sla: Sla
    ticket_created_at: datetime
    created_at: datetime
    status: str = UNASSIGNED
    engineer_id: str | None = None
    dispatched_at: datetime | None = None
    completion: Completion | None = None
    completed_at: datetime | None = None
    parts: PartsReport | None = None

    @property
    def parts_status(self) -> str | None:
        return self.parts.status if self.parts else None

    @property
    def reservation_id(self) -> str | None:
        return self.parts.reservation_id if self.parts else None

    def assign(self, engineer_id: str, at: datetime) -> None:
        if self.status != UNASSIGNED:
            raise WorkOrderConflict("status", f"Work order {self.id} is {self.status}, not unassigned.")
        self.status = ASSIGNED
        self.engineer_id = engineer_id
        self.dispatched_at = at

    def complete(self, report: Completion, now: datetime) -> None:
        if self.status == COMPLETED:
            raise AlreadyCompleted(self.id)
        if self.status != ASSIGNED or self.engineer_id is None:
            raise NotAssigned(self.id)
        if report.arrived_at is not None and report.arrived_at > now + ARRIVAL_CLOCK_SKEW:
            raise InvalidCompletion("arrived_at", "Cannot be in the future.")
        self.completion = replace(report, warranty_status=self.decide_warranty(report.warranty_status))
        self.completed_at = now
        self.status = COMPLETED

    def decide_warranty(self, on_inspection: str | None) -> str:
        """The engineer's word after inspection wins (physical damage voids warranty); else the ticket's."""
        if on_inspection is not None:
            return on_inspection
        if self.warranty_status == WARRANTY_UNKNOWN:
            raise InvalidCompletion(
                "warranty_status",
                "The ticket's warranty is unknown (no proof of purchase): say in_warranty or out_of_warranty.",
            )
        return self.warranty_status
