"""The events the services exchange, shaped as the contract publishes them, for feeding a consumer in a test.

Each builder fills in every field of its event (so a reader sees the real thing) and takes keyword arguments
that replace fields of ``data``; a dict merges into the field it names, so ``product={"category": "washer"}``
changes the category and keeps the rest of the product. The envelope's time is the event's own time.
"""
from __future__ import annotations

import copy
import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

from ..envelope import Envelope, new_envelope
from ..timeutil import to_rfc3339

ACCEPTED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)


def merged(defaults: dict, changes: dict) -> dict:
    """``defaults`` with ``changes`` applied: nested dicts merge, anything else replaces."""
    result = copy.deepcopy(defaults)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _envelope(type: str, source: str, ticket_id: str, time: datetime, data: dict, site: str, region: str) -> Envelope:
    return new_envelope(type=type, data=data, source=source, subject=ticket_id, region=region, site=site,
                        correlation_id=ticket_id, time=time)


def ticket_created(ticket_id: str | None = None, *, created_at: datetime = ACCEPTED_AT, site: str = "SH-01",
                   region: str = "east", **changes) -> Envelope:
    """TicketCreated v1 from intake; the SLA deadlines follow ``created_at`` unless given."""
    ticket_id = ticket_id or str(uuid.uuid4())
    data = {
        "ticket_id": ticket_id, "ticket_no": f"{site.replace('-', '')}-{created_at:%Y%m%d}-0001",
        "channel": "hotline", "partner_id": None, "service_type": "onsite", "priority": "P2",
        "customer": {"customer_id": "C-1", "name": "Wang Fang", "phone": "+86 138 0013 8000",
                     "address": "12 Nanjing Rd, Shanghai"},
        "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television",
                    "purchase_date": "2025-06-01", "batch": "B2405"},
        "fault": {"symptom_code": "NO_PICTURE", "description": "No picture, sound works", "first_open_failure": False},
        "warranty": {"status": "in_warranty", "expires_on": "2026-06-01"},
        "parts": [{"part_no": "PSU-55", "qty": 1}],
        "sla": {"respond_by": to_rfc3339(created_at + timedelta(hours=4)),
                "resolve_by": to_rfc3339(created_at + timedelta(hours=24))},
        "created_at": to_rfc3339(created_at),
    }
    return _envelope("TicketCreated", "intake", ticket_id, created_at, merged(data, changes), site, region)


def part_reserved(ticket_id: str, *, reserved_at: datetime = ACCEPTED_AT + timedelta(minutes=5),
                  site: str = "SH-01", region: str = "east", **changes) -> Envelope:
    data = {
        "reservation_id": "R-1", "ticket_id": ticket_id, "site": site,
        "lines": [{"part_no": "PSU-55", "qty": 1, "from_site": site}],
        "reserved_at": to_rfc3339(reserved_at), "expires_at": None,
    }
    return _envelope("PartReserved", "inventory", ticket_id, reserved_at, merged(data, changes), site, region)


def part_reservation_failed(ticket_id: str, *, failed_at: datetime = ACCEPTED_AT + timedelta(minutes=5),
                            site: str = "SH-01", region: str = "east", **changes) -> Envelope:
    data = {
        "reservation_id": "R-1", "ticket_id": ticket_id, "site": site,
        "shortages": [{"part_no": "PSU-55", "requested": 1, "available": 0}],
        "failed_at": to_rfc3339(failed_at),
    }
    return _envelope("PartReservationFailed", "inventory", ticket_id, failed_at, merged(data, changes), site, region)


def engineer_assigned(ticket_id: str, *, assigned_at: datetime = ACCEPTED_AT + timedelta(minutes=10),
                      site: str = "SH-01", region: str = "east", **changes) -> Envelope:
    data = {"ticket_id": ticket_id, "work_order_id": "WO-1", "engineer_id": "E-7", "site": site,
            "assigned_at": to_rfc3339(assigned_at)}
    return _envelope("EngineerAssigned", "dispatch", ticket_id, assigned_at, merged(data, changes), site, region)


def repair_completed(ticket_id: str | None = None, *, completed_at: datetime = ACCEPTED_AT + timedelta(hours=5),
                     site: str = "SH-01", region: str = "east", **changes) -> Envelope:
    """RepairCompleted v1 from dispatch: an in-warranty repair with one part fitted."""
    ticket_id = ticket_id or str(uuid.uuid4())
    data = {
        "ticket_id": ticket_id, "work_order_id": f"WO-{uuid.uuid4()}", "engineer_id": "E-7",
        "service_type": "onsite", "outcome": "repaired",
        "dispatched_at": to_rfc3339(completed_at - timedelta(hours=2)), "arrived_at": None,
        "completed_at": to_rfc3339(completed_at), "labour_minutes": 45,
        "parts_used": [{"part_no": "PSU-55", "qty": 1, "faulty_serial": "PSU-BAD-1", "new_serial": None}],
        "failure": {"symptom_code": "NO_PICTURE", "failure_mode": "open_circuit", "cause_code": None,
                    "failed_part_no": "PSU-55", "description": "PSU fuse open"},
        "warranty_status": "in_warranty",
        "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television",
                    "purchase_date": "2025-06-01", "batch": "B2405"},
        "customer_signed": True, "satisfaction": None,
    }
    return _envelope("RepairCompleted", "dispatch", ticket_id, completed_at, merged(data, changes), site, region)


def settlement_posted(ticket_id: str, *, posted_at: datetime = ACCEPTED_AT + timedelta(days=1),
                      site: str = "SH-01", region: str = "east", **changes) -> Envelope:
    """SettlementPosted v1 from billing: a warranty repair the manufacturer pays the service point for."""
    data = {
        "settlement_id": f"S-{uuid.uuid4()}", "ticket_id": ticket_id, "work_order_id": "WO-1", "payee": site,
        "warranty_status": "in_warranty", "currency": "CNY",
        "lines": [{"kind": "labour", "description": "Onsite repair", "part_no": None, "qty": 1,
                   "unit_amount": "80.00", "amount": "80.00", "payer": "manufacturer"}],
        "totals": {"customer": "0.00", "manufacturer": "80.00"},
        "period": f"{posted_at:%Y-%m}", "posted_at": to_rfc3339(posted_at),
    }
    return _envelope("SettlementPosted", "billing", ticket_id, posted_at, merged(data, changes), site, region)


def redelivered(envelope: Envelope) -> Envelope:
    """The same fact published again under a new envelope id (a retried publish, a partner resubmitting)."""
    return dataclasses.replace(envelope, id=str(uuid.uuid4()), data=copy.deepcopy(envelope.data))
