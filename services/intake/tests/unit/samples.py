"""Requests and reports as they reach intake, valid unless a test says otherwise."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, timezone

from aftersales_shared.envelope import Envelope, new_envelope

from intake.domain.tickets import Fault, PartRequest, Product
from intake.service_layer.commands import CreateTicket

ACCEPTED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)

_COMMAND = CreateTicket(
    channel="hotline", service_type="onsite", priority="P2", site="SH-01", region="east",
    customer_name="Wang Fang", customer_phone="+86 138 0013 8000", customer_address="12 Nanjing Rd, Shanghai",
    product=Product("TV-55X", "SN-0001", "television", date(2025, 6, 1), "B2405"),
    fault=Fault("No picture, sound works", first_open_failure=False, symptom_code="NO_PICTURE"),
    parts=(PartRequest("PSU-55", 1),),
)


def ticket_command(**overrides) -> CreateTicket:
    return replace(_COMMAND, **overrides)


_BODY = {
    "channel": "hotline",
    "service_type": "onsite",
    "priority": "P2",
    "site": "SH-01",
    "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000", "address": "12 Nanjing Rd, Shanghai"},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television",
                "purchase_date": "2025-06-01", "batch": "B2405"},
    "fault": {"symptom_code": "NO_PICTURE", "description": "No picture, sound works", "first_open_failure": False},
    "parts": [{"part_no": "PSU-55", "qty": 1}],
}


def ticket_body() -> dict:
    return copy.deepcopy(_BODY)


def _report_data(event_type: str, ticket_id: str) -> dict:
    at = "2026-03-11T10:00:00Z"
    if event_type == "PartReserved":
        return {"reservation_id": "R-1", "ticket_id": ticket_id, "site": "SH-01",
                "lines": [{"part_no": "PSU-55", "qty": 1, "from_site": "SH-01"}], "reserved_at": at}
    if event_type == "PartReservationFailed":
        return {"reservation_id": "R-1", "ticket_id": ticket_id, "shortages": [{"part_no": "PSU-55", "missing": 1}]}
    if event_type == "EngineerAssigned":
        return {"work_order_id": "WO-1", "ticket_id": ticket_id, "engineer_id": "E-7"}
    if event_type == "RepairCompleted":
        return {"ticket_id": ticket_id, "work_order_id": "WO-1", "engineer_id": "E-7", "service_type": "onsite",
                "outcome": "repaired", "completed_at": at, "labour_minutes": 45,
                "parts_used": [{"part_no": "PSU-55", "qty": 1, "faulty_serial": "PSU-BAD-1"}],
                "failure": {"symptom_code": "NO_PICTURE", "failure_mode": "open_circuit", "cause_code": None,
                            "failed_part_no": "PSU-55", "description": "PSU fuse open"},
                "warranty_status": "in_warranty",
                "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television"}}
    if event_type == "SettlementPosted":
        return {"settlement_id": "S-1", "ticket_id": ticket_id, "work_order_id": "WO-1", "payee": "SH-01",
                "warranty_status": "in_warranty", "currency": "CNY",
                "lines": [{"kind": "labour", "description": "TV repair", "qty": 1, "unit_amount": "80.00",
                           "amount": "80.00", "payer": "manufacturer"}],
                "totals": {"customer": "0.00", "manufacturer": "80.00"}, "period": "2026-03",
                "posted_at": at}
    raise ValueError(f"no sample for {event_type}")


SOURCES = {"PartReserved": "inventory", "PartReservationFailed": "inventory", "EngineerAssigned": "dispatch",
           "RepairCompleted": "dispatch", "SettlementPosted": "billing"}


def report(event_type: str, ticket_id: str, time: datetime | None = None) -> Envelope:
    """An event another service publishes about ``ticket_id``."""
    return new_envelope(
        type=event_type, data=_report_data(event_type, ticket_id), source=SOURCES[event_type],
        subject=ticket_id, region="east", site="SH-01", correlation_id=ticket_id, causation_id=None,
        time=time or datetime(2026, 3, 11, 10, 0, tzinfo=timezone.utc),
    )
