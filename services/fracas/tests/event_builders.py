"""Contract-shaped events of the other services, as FRACAS receives them."""
from __future__ import annotations

import copy
import dataclasses
import uuid
from datetime import date, datetime, timedelta, timezone

from aftersales_shared.envelope import Envelope, new_envelope
from aftersales_shared.timeutil import to_rfc3339

T0 = datetime(2024, 6, 1, 9, 0, tzinfo=timezone.utc)


def _product(serial: str, model: str, purchase_date: date | None, batch: str | None = "B-2401") -> dict:
    return {
        "model": model, "serial": serial, "category": "washer",
        "purchase_date": purchase_date.isoformat() if purchase_date else None, "batch": batch,
    }


def _envelope(type: str, ticket_id: str, data: dict, source: str, time: datetime) -> Envelope:
    return new_envelope(type=type, data=data, source=source, subject=ticket_id, region="east", site="SH-01",
                        correlation_id=ticket_id, time=time)


def ticket_created(ticket_id: str, serial: str = "SN-1", model: str = "WM-100",
                   purchase_date: date | None = date(2024, 1, 15), first_open_failure: bool = False,
                   created_at: datetime = T0) -> Envelope:
    data = {
        "ticket_id": ticket_id, "ticket_no": "SH01-20240601-0001", "channel": "hotline", "partner_id": None,
        "service_type": "onsite", "priority": "P3",
        "customer": {"customer_id": "C-1", "name": "Li Lei", "phone": "13800000000", "address": None},
        "product": _product(serial, model, purchase_date),
        "fault": {"symptom_code": "E21", "description": "Does not drain", "first_open_failure": first_open_failure},
        "warranty": {"status": "in_warranty", "expires_on": "2025-01-15"},
        "parts": [],
        "sla": {"respond_by": to_rfc3339(created_at + timedelta(hours=4)),
                "resolve_by": to_rfc3339(created_at + timedelta(hours=48))},
        "created_at": to_rfc3339(created_at),
    }
    return _envelope("TicketCreated", ticket_id, data, "intake", created_at)


def repair_completed(work_order_id: str | None = None, ticket_id: str | None = None, serial: str = "SN-1",
                     model: str = "WM-100", purchase_date: date | None = date(2024, 1, 15),
                     completed_at: datetime = T0 + timedelta(hours=5), outcome: str = "repaired",
                     engineer_id: str = "ENG-7") -> Envelope:
    ticket_id = ticket_id or f"T-{uuid.uuid4()}"
    data = {
        "ticket_id": ticket_id, "work_order_id": work_order_id or f"WO-{uuid.uuid4()}",
        "engineer_id": engineer_id, "service_type": "onsite", "outcome": outcome,
        "dispatched_at": None, "arrived_at": None, "completed_at": to_rfc3339(completed_at),
        "labour_minutes": 45,
        "parts_used": [{"part_no": "PUMP-01", "qty": 1, "faulty_serial": "P-99", "new_serial": None}],
        "failure": {"symptom_code": "E21", "failure_mode": "wear", "cause_code": "BEARING",
                    "failed_part_no": "PUMP-01", "description": "Drain pump seized"},
        "warranty_status": "in_warranty",
        "product": _product(serial, model, purchase_date),
        "customer_signed": True,
    }
    return _envelope("RepairCompleted", ticket_id, data, "dispatch", completed_at)


def settlement_posted(work_order_id: str, ticket_id: str, customer: str = "0.00", manufacturer: str = "180.50",
                      settlement_id: str | None = None) -> Envelope:
    posted_at = T0 + timedelta(days=1)
    data = {
        "settlement_id": settlement_id or f"ST-{uuid.uuid4()}", "ticket_id": ticket_id,
        "work_order_id": work_order_id, "payee": "SH-01", "warranty_status": "in_warranty", "currency": "CNY",
        "lines": [{"kind": "labour", "description": "Onsite repair", "part_no": None, "qty": 1,
                   "unit_amount": manufacturer, "amount": manufacturer, "payer": "manufacturer"}],
        "totals": {"customer": customer, "manufacturer": manufacturer},
        "period": "2024-06", "posted_at": to_rfc3339(posted_at),
    }
    return _envelope("SettlementPosted", ticket_id, data, "billing", posted_at)


def reposted(envelope: Envelope) -> Envelope:
    """The same fact sent again under a new envelope id (a retried publish, a partner resubmitting)."""
    return dataclasses.replace(envelope, id=str(uuid.uuid4()), data=copy.deepcopy(envelope.data))
