from __future__ import annotations

import copy

import pytest

from aftersales_shared.envelope import Envelope, new_envelope

pytest_plugins = ["aftersales_shared.testing.fixtures"]

REPAIR_COMPLETED_DATA = {
    "ticket_id": "T-1001",
    "work_order_id": "WO-1001",
    "engineer_id": "E-07",
    "service_type": "onsite",
    "outcome": "repaired",
    "dispatched_at": "2026-11-20T08:00:00Z",
    "arrived_at": "2026-11-20T08:40:00+08:00",
    "completed_at": "2026-11-20T10:30:00Z",
    "labour_minutes": 90,
    "parts_used": [
        {"part_no": "PCB-100", "qty": 1, "faulty_serial": "PCB-F-1", "new_serial": "PCB-N-1"},
        {"part_no": "FLT-400", "qty": 2, "faulty_serial": None},
    ],
    "failure": {
        "symptom_code": "E21", "failure_mode": "open_circuit", "cause_code": "C-3",
        "failed_part_no": "PCB-100", "description": "Board relay burnt out",
    },
    "warranty_status": "in_warranty",
    "product": {
        "model": "WM-700", "serial": "SN-0001", "category": "washing_machine",
        "purchase_date": "2026-03-01", "batch": "B-2602",
    },
    "customer_signed": True,
    "satisfaction": None,
}


@pytest.fixture
def repair_completed():
    """Factory: a RepairCompleted v1 envelope as dispatch sends it; keyword arguments replace data fields."""

    def make(*, site: str = "SH-01", region: str = "east", **changes) -> Envelope:
        data = {**copy.deepcopy(REPAIR_COMPLETED_DATA), **changes}
        return new_envelope(
            type="RepairCompleted", data=data, source="dispatch", subject=data["ticket_id"],
            region=region, site=site, correlation_id=data["ticket_id"],
        )

    return make
