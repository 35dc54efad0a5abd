"""A work order: one per ticket, from acceptance through assignment to the engineer's report of the job."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from aftersales_shared.vocabulary import WARRANTY_UNKNOWN

# On-site (and install) work: dispatched, accepted, travelled to, worked on at the customer's.
AWAITING_QUOTE = "awaiting_quote"
UNASSIGNED = "unassigned"
ASSIGNED = "assigned"
ACCEPTED = "accepted"
EN_ROUTE = "en_route"
ON_SITE = "on_site"
COMPLETED = "completed"
CANNOT_COMPLETE = "cannot_complete"
# Depot and mail-in work: the unit comes to the service point and goes back repaired.
AWAITING_UNIT = "awaiting_unit"
RECEIVED = "received"
DIAGNOSING = "diagnosing"
REPAIRING = "repairing"
QC = "qc"
RETURNED = "returned"
# Interrupts of either flow; the work order remembers where to resume.
WAITING_PARTS = "waiting_parts"
WAITING_CUSTOMER = "waiting_customer"
CANCELLED = "cancelled"

STATUSES = (AWAITING_QUOTE, UNASSIGNED, ASSIGNED, ACCEPTED, EN_ROUTE, ON_SITE, COMPLETED, CANNOT_COMPLETE,
            AWAITING_UNIT, RECEIVED, DIAGNOSING, REPAIRING, QC, RETURNED, WAITING_PARTS, WAITING_CUSTOMER,
            CANCELLED)
TERMINAL = frozenset({COMPLETED, CANNOT_COMPLETE, RETURNED, CANCELLED})
PAUSED = frozenset({WAITING_PARTS, WAITING_CUSTOMER})
DEPOT_SERVICE_TYPES = frozenset({"depot", "mail_in"})
# Not yet under way: an engineer going off shift (or declining) hands these back for reassignment.
NOT_STARTED = frozenset({ASSIGNED, ACCEPTED, AWAITING_UNIT, RECEIVED})

# action -> (states it may be taken from, state it leads to)
ENGINEER_ACTIONS = {
    "accept": ({ASSIGNED}, ACCEPTED),
    "depart": ({ACCEPTED}, EN_ROUTE),
    "arrive": ({EN_ROUTE}, ON_SITE),
    "receive": ({AWAITING_UNIT}, RECEIVED),
    "diagnose": ({RECEIVED}, DIAGNOSING),
    "repair": ({DIAGNOSING}, REPAIRING),
    "qc": ({REPAIRING}, QC),
}
CANNOT_COMPLETE_FROM = frozenset({ASSIGNED, ACCEPTED, EN_ROUTE, ON_SITE, RECEIVED, DIAGNOSING, REPAIRING, QC})
# The engineer's report is the last word on the job: it may come in one go (the report carries arrived_at)
# from any state in which an engineer holds the job, also while parts were still being chased.
COMPLETE_FROM = frozenset({ASSIGNED, ACCEPTED, EN_ROUTE, ON_SITE, QC, WAITING_PARTS, WAITING_CUSTOMER})
INTERRUPTIBLE = frozenset({UNASSIGNED, ASSIGNED, ACCEPTED, EN_ROUTE, ON_SITE, AWAITING_UNIT, RECEIVED,
                           DIAGNOSING, REPAIRING, QC})

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


@dataclass(frozen=True)
class Transition:
    """One recorded step of a work order; the SLA clocks are derived from these."""

    work_order_id: str
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    engineer_id: str | None = None
    reason: str | None = None


class IllegalTransition(WorkOrderConflict):
    def __init__(self, work_order_id: str, action: str, status: str):
        self.status = status
        super().__init__("status", f"Cannot {action} work order {work_order_id}: it is {status}.")


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
    symptom_code: str | None = None
    parts_expected: bool = False
    quote_required: bool = False
    repeat_of: str | None = None
    # When the respond clock starts: the ticket's acceptance, or the customer's acceptance of the quote.
    accepted_at: datetime | None = None
    resume_status: str | None = None
    assigned_at: datetime | None = None
    engineer_accepted_at: datetime | None = None
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    received_at: datetime | None = None
    assignment_score: float | None = None
    assignment_reason: str | None = None
    unassigned_reason: str | None = None
    declined_by: tuple[str, ...] = ()
    end_reason: str | None = None
    travel_km: float | None = None
    version: int = 0
    pending: list[Transition] = field(default_factory=list, compare=False, repr=False)

    @property
    def parts_status(self) -> str | None:
        return self.parts.status if self.parts else None

    @property
    def reservation_id(self) -> str | None:
        return self.parts.reservation_id if self.parts else None

    @property
    def is_depot(self) -> bool:
        return self.service_type in DEPOT_SERVICE_TYPES

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL and self.status != AWAITING_QUOTE

    @property
    def needs_engineer(self) -> bool:
        return self.is_open and self.engineer_id is None

    @property
    def effective_status(self) -> str:
        """Where the work stands under an interrupt."""
        return self.resume_status if self.status in PAUSED and self.resume_status else self.status

    @property
    def awaiting_parts(self) -> bool:
        return self.parts_expected and self.parts_status != PARTS_RESERVED

    def _move(self, to: str, at: datetime, action: str, reason: str | None = None) -> None:
        self.pending.append(Transition(self.id, at, action, self.status, to, self.engineer_id, reason))
        self.status = to

    def open(self, at: datetime, accepted_at: datetime) -> None:
        """Work can start (at once, or once the customer accepted the quote); ``accepted_at`` starts the clocks."""
        if self.status != AWAITING_QUOTE:
            raise IllegalTransition(self.id, "open", self.status)
        self.accepted_at = accepted_at
        self._move(AWAITING_UNIT if self.is_depot else UNASSIGNED, at, "open")
        if self.awaiting_parts and not self.is_depot:
            self.interrupt(WAITING_PARTS, at, "parts not reserved yet")

    def assign(self, engineer_id: str, at: datetime, score: float | None = None, reason: str | None = None) -> None:
        if not self.needs_engineer:
            if self.status in TERMINAL or self.status == AWAITING_QUOTE:
                raise IllegalTransition(self.id, "assign", self.status)
            raise WorkOrderConflict("engineer_id", f"Work order {self.id} is {self.status} with engineer "
                                                   f"{self.engineer_id}; reassign it instead.")
        self.engineer_id = engineer_id
        self.assigned_at = at
        self.dispatched_at = self.dispatched_at or at
        self.assignment_score, self.assignment_reason, self.unassigned_reason = score, reason, None
        if self.status == UNASSIGNED:
            self._move(ASSIGNED, at, "assign", reason)
        elif self.status in PAUSED and self.resume_status == UNASSIGNED:
            self.resume_status = ASSIGNED
            self.pending.append(Transition(self.id, at, "assign", self.status, self.status, engineer_id, reason))
        else:
            self.pending.append(Transition(self.id, at, "assign", self.status, self.status, engineer_id, reason))

    def leave_unassigned(self, reason: str) -> None:
        self.unassigned_reason = reason

    def unassign(self, at: datetime, action: str, reason: str | None = None) -> str:
        """Takes the job from its engineer before the work started; returns who had it."""
        if self.engineer_id is None or self.effective_status not in NOT_STARTED:
            raise IllegalTransition(self.id, action, self.status)
        previous = self.engineer_id
        back = AWAITING_UNIT if self.is_depot and self.effective_status == AWAITING_UNIT else \
            RECEIVED if self.is_depot else UNASSIGNED
        if self.status in PAUSED:
            self.resume_status = back
            self.pending.append(Transition(self.id, at, action, self.status, self.status, previous, reason))
        else:
            self._move(back, at, action, reason)
        self.engineer_id = None
        self.assignment_score = self.assignment_reason = None
        self.engineer_accepted_at = None
        return previous

    def decline(self, engineer_id: str, at: datetime, reason: str) -> str:
        self._check_engineer(engineer_id, "decline")
        if self.status not in (ASSIGNED, AWAITING_UNIT, RECEIVED):
            raise IllegalTransition(self.id, "decline", self.status)
        self.declined_by = tuple(dict.fromkeys((*self.declined_by, engineer_id)))
        return self.unassign(at, "decline", reason)

    def act(self, action: str, at: datetime, engineer_id: str | None = None) -> None:
        """An engineer's step along the on-site or depot flow."""
        allowed, to = ENGINEER_ACTIONS[action]
        if self.status not in allowed:
            raise IllegalTransition(self.id, action, self.status)
        if action != "receive":
            self._check_engineer(engineer_id, action)
        stamp = {"accept": "engineer_accepted_at", "depart": "departed_at", "arrive": "arrived_at",
                 "receive": "received_at"}.get(action)
        if stamp:
            setattr(self, stamp, at)
        self._move(to, at, action)

    def interrupt(self, waiting: str, at: datetime, reason: str | None = None) -> None:
        if self.status not in INTERRUPTIBLE:
            raise IllegalTransition(self.id, f"set {waiting}", self.status)
        self.resume_status = self.status
        self._move(waiting, at, waiting, reason)

    def resume(self, at: datetime, reason: str | None = None) -> None:
        if self.status not in PAUSED:
            raise IllegalTransition(self.id, "resume", self.status)
        to, self.resume_status = self.resume_status or (AWAITING_UNIT if self.is_depot else UNASSIGNED), None
        self._move(to, at, "resume", reason)

    def parts_arrived(self, at: datetime) -> bool:
        """PartReserved: a job waiting for parts goes on. True when it resumed."""
        if self.status != WAITING_PARTS:
            return False
        self.resume(at, "parts reserved")
        return True

    def cannot_complete(self, engineer_id: str | None, at: datetime, reason: str) -> None:
        if self.effective_status not in CANNOT_COMPLETE_FROM:
            raise IllegalTransition(self.id, "cannot-complete", self.status)
        self._check_engineer(engineer_id, "cannot-complete")
        self.end_reason = reason
        self.resume_status = None
        self._move(CANNOT_COMPLETE, at, "cannot_complete", reason)

    def cancel(self, at: datetime, reason: str) -> bool:
        """TicketCancelled: open work stops. False when the work order had already ended."""
        if self.status in TERMINAL:
            return False
        self.end_reason = reason
        self.resume_status = None
        self._move(CANCELLED, at, "cancel", reason)
        return True

    def _check_engineer(self, engineer_id: str | None, action: str) -> None:
        if self.engineer_id is None:
            raise NotAssigned(self.id)
        if engineer_id is not None and engineer_id != self.engineer_id:
            raise WorkOrderConflict("engineer_id", f"Work order {self.id} is assigned to {self.engineer_id}, "
                                                   f"not {engineer_id}: cannot {action}.")

    def complete(self, report: Completion, now: datetime) -> None:
        if self.status in (COMPLETED, RETURNED):
            raise AlreadyCompleted(self.id)
        if self.status in TERMINAL or self.status == AWAITING_QUOTE:
            raise IllegalTransition(self.id, "complete", self.status)
        if self.engineer_id is None:
            raise NotAssigned(self.id)
        done = RETURNED if self.is_depot else COMPLETED
        if (self.is_depot and self.effective_status != QC) or (not self.is_depot and self.status not in COMPLETE_FROM):
            raise IllegalTransition(self.id, "complete", self.status)
        if report.arrived_at is not None and report.arrived_at > now + ARRIVAL_CLOCK_SKEW:
            raise InvalidCompletion("arrived_at", "Cannot be in the future.")
        arrived = report.arrived_at or self.arrived_at or (self.received_at if self.is_depot else None)
        self.completion = replace(report, warranty_status=self.decide_warranty(report.warranty_status),
                                  arrived_at=arrived)
        self.completed_at = now
        self.resume_status = None
        self._move(done, now, "complete")

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
