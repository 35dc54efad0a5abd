"""Tickets, engineers and job reports as they reach dispatch, valid unless a test says otherwise."""
from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from aftersales_shared.envelope import Envelope, new_envelope
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
                   service_type: str = "onsite", **data_overrides) -> Envelope:
    """TicketCreated as intake publishes it (every field of the contract, so the readers see the real thing)."""
    ticket_id = ticket_id or str(uuid.uuid4())
    data = {
        "ticket_id": ticket_id, "ticket_no": "SH01-20260310-0001", "channel": "hotline", "partner_id": None,
        "service_type": service_type, "priority": "P2",
        "customer": {"customer_id": "C-1", "name": "Wang Fang", "phone": "+86 138 0013 8000",
                     "address": "12 Nanjing Rd, Shanghai"},
        "product": {"model": "TV-55X", "serial": "SN-0001", "category": category,
                    "purchase_date": purchase_date, "batch": "B2405"},
        "fault": {"symptom_code": "NO_PICTURE", "description": "No picture, sound works", "first_open_failure": False},
        "warranty": {"status": warranty, "expires_on": "2026-06-01" if purchase_date else None},
        "parts": [{"part_no": "PSU-55", "qty": 1}],
        "sla": {"respond_by": to_rfc3339(created_at + timedelta(hours=4)),
                "resolve_by": to_rfc3339(created_at + timedelta(hours=24))},
        "created_at": to_rfc3339(created_at),
        **data_overrides,
    }
    return new_envelope(type="TicketCreated", data=data, source="intake", subject=ticket_id,
                        region=region, site=site, correlation_id=ticket_id, time=created_at)


def part_reserved(ticket_id: str, time: datetime = ACCEPTED_AT + timedelta(minutes=5),
                  reservation_id: str = "R-1") -> Envelope:
    data = {"reservation_id": reservation_id, "ticket_id": ticket_id, "site": "SH-01",
            "lines": [{"part_no": "PSU-55", "qty": 1, "from_site": "SH-01"}], "reserved_at": to_rfc3339(time)}
    return new_envelope(type="PartReserved", data=data, source="inventory", subject=ticket_id,
                        region="east", site="SH-01", correlation_id=ticket_id, time=time)


def part_reservation_failed(ticket_id: str, time: datetime = ACCEPTED_AT + timedelta(minutes=5),
                            reservation_id: str = "R-1") -> Envelope:
    data = {"reservation_id": reservation_id, "ticket_id": ticket_id, "site": "SH-01",
            "shortages": [{"part_no": "PSU-55", "missing": 1}]}
    return new_envelope(type="PartReservationFailed", data=data, source="inventory", subject=ticket_id,
                        region="east", site="SH-01", correlation_id=ticket_id, time=time)


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
