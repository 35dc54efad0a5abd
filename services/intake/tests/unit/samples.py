"""Requests and reports as they reach intake, valid unless a test says otherwise."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, timezone

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing import events

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


_REPORTS = {
    "PartReserved": lambda ticket_id, time: events.part_reserved(ticket_id, reserved_at=time),
    "PartReservationFailed": lambda ticket_id, time: events.part_reservation_failed(ticket_id, failed_at=time),
    "EngineerAssigned": lambda ticket_id, time: events.engineer_assigned(ticket_id, assigned_at=time),
    "RepairCompleted": lambda ticket_id, time: events.repair_completed(ticket_id, completed_at=time,
                                                                       work_order_id="WO-1"),
    "SettlementPosted": lambda ticket_id, time: events.settlement_posted(ticket_id, posted_at=time),
}


def report(event_type: str, ticket_id: str, time: datetime | None = None) -> Envelope:
    """An event another service publishes about ``ticket_id``."""
    return _REPORTS[event_type](ticket_id, time or datetime(2026, 3, 11, 10, 0, tzinfo=timezone.utc))
