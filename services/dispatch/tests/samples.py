"""Tickets, engineers and job reports as they reach dispatch, valid unless a test says otherwise."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing import events
from aftersales_shared.timeutil import to_rfc3339

from dispatch.domain.work_orders import Completion, Failure, PartUsed
from dispatch.service_layer.commands import RegisterEngineer

ACCEPTED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def ticket_created(ticket_id: str | None = None, *, site: str = "SH-01", region: str = "east",
                   category: str = "television", warranty: str = "in_warranty",
                   created_at: datetime = ACCEPTED_AT, purchase_date: str | None = "2025-06-01",
                   service_type: str = "onsite", parts: list | None = None, **data_overrides) -> Envelope:
    """TicketCreated as intake publishes it (every field of the contract, so the readers see the real thing).

    No parts expected unless given: a ticket expecting parts waits for PartReserved."""
    return events.ticket_created(
        ticket_id, created_at=created_at, site=site, region=region, service_type=service_type, parts=parts or [],
        product={"category": category, "purchase_date": purchase_date},
        warranty={"status": warranty, "expires_on": "2026-06-01" if purchase_date else None}, **data_overrides,
    )


def part_reserved(ticket_id: str, time: datetime = ACCEPTED_AT + timedelta(minutes=5),
                  reservation_id: str = "R-1") -> Envelope:
    return events.part_reserved(ticket_id, reserved_at=time, reservation_id=reservation_id)


def part_reservation_failed(ticket_id: str, time: datetime = ACCEPTED_AT + timedelta(minutes=5),
                            reservation_id: str = "R-1") -> Envelope:
    return events.part_reservation_failed(ticket_id, failed_at=time, reservation_id=reservation_id)


def engineer(engineer_id: str = "E-1", **overrides) -> RegisterEngineer:
    values = {"name": f"Engineer {engineer_id}", "site": "SH-01", "region": "east", "skills": ("television",),
              "available": True, **overrides}
    return RegisterEngineer(engineer_id=engineer_id, **values)


_REPORT = Completion(
    outcome="repaired", labour_minutes=45,
    parts_used=(PartUsed("PSU-55", 1, faulty_serial="PSU-BAD-1", new_serial="PSU-NEW-1"),),
    failure=Failure("PSU fuse open", symptom_code="NO_PICTURE", failure_mode="open_circuit",
                    cause_code="SURGE", failed_part_no="PSU-55"),
    customer_signed=True, arrived_at=NOW - timedelta(minutes=50), satisfaction=5,
)


def job_report(**overrides) -> Completion:
    return replace(_REPORT, **overrides)


_BODY = {
    "outcome": "repaired",
    "labour_minutes": 45,
    "parts_used": [{"part_no": "PSU-55", "qty": 1, "faulty_serial": "PSU-BAD-1", "new_serial": "PSU-NEW-1"}],
    "failure": {"symptom_code": "NO_PICTURE", "failure_mode": "open_circuit", "cause_code": "SURGE",
                "failed_part_no": "PSU-55", "description": "PSU fuse open"},
    "warranty_status": "in_warranty",
    "customer_signed": True,
    "arrived_at": "2026-03-10T09:10:00Z",
    "satisfaction": 5,
}


def completion_body(**overrides) -> dict:
    return {**copy.deepcopy(_BODY), **overrides}


_ENGINEER_BODY = {"engineer_id": "E-1", "name": "Li Wei", "site": "SH-01", "region": "east",
                  "skills": ["television", "washer"], "available": True}


def engineer_body(**overrides) -> dict:
    return {**copy.deepcopy(_ENGINEER_BODY), **overrides}


def quote_accepted(ticket_id: str, accepted_at: datetime = ACCEPTED_AT + timedelta(minutes=20), *,
                   site: str = "SH-01", region: str = "east") -> Envelope:
    return events._envelope("QuoteAccepted", "intake", ticket_id, accepted_at, {
        "ticket_id": ticket_id, "site": site, "region": region, "amount": "120.00",
        "accepted_at": to_rfc3339(accepted_at)}, site, region)


def ticket_cancelled(ticket_id: str, cancelled_at: datetime = ACCEPTED_AT + timedelta(minutes=15), *,
                     site: str = "SH-01", region: str = "east", reason: str = "customer fixed it") -> Envelope:
    return events._envelope("TicketCancelled", "intake", ticket_id, cancelled_at, {
        "ticket_id": ticket_id, "site": site, "region": region, "reason": reason,
        "cancelled_at": to_rfc3339(cancelled_at)}, site, region)
