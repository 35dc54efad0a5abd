"""Envelopes of the events inventory consumes, shaped exactly as the contract publishes them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from aftersales_shared.envelope import Envelope, new_envelope
from aftersales_shared.timeutil import to_rfc3339

CREATED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


def ticket_created(parts: list[tuple[str, int]], *, ticket_id: str | None = None, site: str = "SH-01",
                   region: str = "east") -> Envelope:
    ticket_id = ticket_id or str(uuid.uuid4())
    data = {
        "ticket_id": ticket_id,
        "ticket_no": "SH01-20261122-0001",
        "channel": "hotline",
        "partner_id": None,
        "service_type": "onsite",
        "priority": "P3",
        "customer": {"customer_id": "C-1", "name": "Li Lei", "phone": "13800000000", "address": None},
        "product": {"model": "WM-7", "serial": "SN-1", "category": "washer", "purchase_date": "2026-01-05",
                    "batch": None},
        "fault": {"symptom_code": None, "description": "Does not drain", "first_open_failure": False},
        "warranty": {"status": "in_warranty", "expires_on": "2027-01-05"},
        "parts": [{"part_no": part_no, "qty": qty} for part_no, qty in parts],
        "sla": {"respond_by": to_rfc3339(CREATED_AT + timedelta(hours=4)),
                "resolve_by": to_rfc3339(CREATED_AT + timedelta(hours=48))},
        "created_at": to_rfc3339(CREATED_AT),
    }
    return new_envelope(type="TicketCreated", data=data, source="intake", subject=ticket_id, region=region,
                        site=site, time=CREATED_AT)


def repair_completed(ticket_id: str, parts_used: list[tuple[str, int]], *, site: str = "SH-01",
                     region: str = "east") -> Envelope:
    completed_at = CREATED_AT + timedelta(hours=5)
    data = {
        "ticket_id": ticket_id,
        "work_order_id": str(uuid.uuid4()),
        "engineer_id": "E-7",
        "service_type": "onsite",
        "outcome": "repaired",
        "dispatched_at": to_rfc3339(CREATED_AT + timedelta(hours=1)),
        "arrived_at": None,
        "completed_at": to_rfc3339(completed_at),
        "labour_minutes": 45,
        "parts_used": [{"part_no": part_no, "qty": qty, "faulty_serial": f"F-{part_no}", "new_serial": None}
                       for part_no, qty in parts_used],
        "failure": {"symptom_code": None, "failure_mode": "wear", "cause_code": None, "failed_part_no": None,
                    "description": "Pump worn"},
        "warranty_status": "in_warranty",
        "product": {"model": "WM-7", "serial": "SN-1", "category": "washer", "purchase_date": "2026-01-05",
                    "batch": None},
        "customer_signed": True,
    }
    return new_envelope(type="RepairCompleted", data=data, source="dispatch", subject=ticket_id, region=region,
                        site=site, correlation_id=ticket_id, time=completed_at)


def redelivered(envelope: Envelope) -> Envelope:
    """The same fact published again under a new envelope id (a partner retrying, a replayed outbox)."""
    return new_envelope(type=envelope.type, data=envelope.data, source=envelope.source, subject=envelope.subject,
                        region=envelope.region, site=envelope.site, correlation_id=envelope.correlation_id,
                        time=envelope.time)
