"""Custody of faulty parts (旧件管理): a replaced part that must be returned comes back from the engineer
within 6 hours, goes to the supplier under an RMA, and is followed up at 3, 7, 15 and 30 days (from 30
days on, escalated) until the supplier's outcome is recorded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RETURN_WITHIN = timedelta(hours=6)
FOLLOW_UP_DAYS = (3, 7, 15, 30)
ESCALATE_FROM_DAY = 30

AWAITING_ENGINEER = "awaiting_engineer"
RECEIVED = "received"
AT_SUPPLIER = "at_supplier"
CLOSED = "closed"
STATUSES = (AWAITING_ENGINEER, RECEIVED, AT_SUPPLIER, CLOSED)
OUTCOMES = ("repaired", "replaced", "rejected", "credited")

# Stages of FaultyPartReturned.
FROM_ENGINEER = "received_from_engineer"
SHIPPED_TO_SUPPLIER = "shipped_to_supplier"
SUPPLIER_OUTCOME = "supplier_outcome"


class CustodyStepRefused(Exception):
    """The step does not follow from where the part is (e.g. shipped before it came back)."""


@dataclass
class FaultyPart:
    id: str
    ticket_id: str
    part_no: str
    qty: int
    faulty_serial: str | None
    site: str
    region: str
    status: str
    expected_by: datetime
    created_at: datetime
    received_at: datetime | None = None
    shipped_at: datetime | None = None
    supplier: str | None = None
    rma_no: str | None = None
    outcome: str | None = None
    outcome_at: datetime | None = None
    escalated_at: datetime | None = None

    @classmethod
    def replaced(cls, part_id: str, ticket_id: str, part_no: str, qty: int, faulty_serial: str | None,
                 site: str, region: str, completed_at: datetime, now: datetime) -> "FaultyPart":
        return cls(part_id, ticket_id, part_no, qty, faulty_serial, site, region, AWAITING_ENGINEER,
                   expected_by=completed_at + RETURN_WITHIN, created_at=now)

    def overdue(self, now: datetime) -> bool:
        return self.status == AWAITING_ENGINEER and now > self.expected_by

    def receive(self, now: datetime) -> "FaultyPartReturned":
        self._require(AWAITING_ENGINEER, "received from the engineer")
        self.status, self.received_at = RECEIVED, now
        return FaultyPartReturned(self, FROM_ENGINEER, now)

    def ship(self, supplier: str, rma_no: str, now: datetime) -> tuple["FaultyPartReturned", list["FollowUp"]]:
        self._require(RECEIVED, "shipped to the supplier")
        self.status, self.shipped_at, self.supplier, self.rma_no = AT_SUPPLIER, now, supplier, rma_no
        follow_ups = [FollowUp(self.id, day, now + timedelta(days=day)) for day in FOLLOW_UP_DAYS]
        return FaultyPartReturned(self, SHIPPED_TO_SUPPLIER, now), follow_ups

    def settle(self, outcome: str, now: datetime) -> "FaultyPartReturned":
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self._require(AT_SUPPLIER, "given the supplier's outcome")
        self.status, self.outcome, self.outcome_at = CLOSED, outcome, now
        return FaultyPartReturned(self, SUPPLIER_OUTCOME, now)

    def _require(self, status: str, step: str) -> None:
        if self.status != status:
            raise CustodyStepRefused(f"faulty part {self.id} is {self.status}; only a {status} one can be {step}")


@dataclass
class FollowUp:
    faulty_part_id: str
    day: int
    due_at: datetime
    fired_at: datetime | None = None

    @property
    def escalates(self) -> bool:
        return self.day >= ESCALATE_FROM_DAY


@dataclass(frozen=True)
class FaultyPartReturned:
    part: FaultyPart
    stage: str
    at: datetime
