from __future__ import annotations

from datetime import datetime

import pytest

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing import events

from billing_events import COMPLETED_AT

pytest_plugins = ["aftersales_shared.testing.fixtures"]

REPAIR_COMPLETED_DATA = {
    "work_order_id": "WO-1001",
    "engineer_id": "E-07",
    "dispatched_at": "2026-11-20T08:00:00Z",
    "arrived_at": "2026-11-20T08:40:00+08:00",
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
}


@pytest.fixture
def repair_completed():
    """Factory: a RepairCompleted v1 envelope as dispatch sends it; keyword arguments replace data fields."""

    def make(*, site: str = "SH-01", region: str = "east", ticket_id: str = "T-1001",
             completed_at: datetime | str = COMPLETED_AT, **changes) -> Envelope:
        if isinstance(completed_at, str):  # a malformed time, to be refused
            changes["completed_at"], completed_at = completed_at, COMPLETED_AT
        event = events.repair_completed(ticket_id, completed_at=completed_at, site=site, region=region,
                                        **REPAIR_COMPLETED_DATA)
        return event.with_data({**event.data, **changes})

    return make

