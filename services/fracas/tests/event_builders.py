"""Contract-shaped events of the other services, about washers of one model, as FRACAS receives them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing import events
from aftersales_shared.testing.events import redelivered as reposted

__all__ = ["T0", "repair_completed", "reposted", "settlement_posted", "ticket_created"]

T0 = datetime(2024, 6, 1, 9, 0, tzinfo=timezone.utc)


def _product(serial: str, model: str, purchase_date: date | None) -> dict:
    return {"model": model, "serial": serial, "category": "washer",
            "purchase_date": purchase_date.isoformat() if purchase_date else None, "batch": "B-2401"}


def ticket_created(ticket_id: str, serial: str = "SN-1", model: str = "WM-100",
                   purchase_date: date | None = date(2024, 1, 15), first_open_failure: bool = False,
                   created_at: datetime = T0, **changes) -> Envelope:
    return events.ticket_created(
        ticket_id, created_at=created_at, product=_product(serial, model, purchase_date), parts=[],
        fault={"symptom_code": "E21", "description": "Does not drain", "first_open_failure": first_open_failure},
        **changes,
    )


def repair_completed(work_order_id: str | None = None, ticket_id: str | None = None, serial: str = "SN-1",
                     model: str = "WM-100", purchase_date: date | None = date(2024, 1, 15),
                     completed_at: datetime = T0 + timedelta(hours=5), outcome: str = "repaired",
                     engineer_id: str = "ENG-7", part_no: str = "PUMP-01", failure_mode: str = "wear",
                     cause_code: str = "BEARING", batch: str = "B-2401", site: str = "SH-01", **changes) -> Envelope:
    product = {**_product(serial, model, purchase_date), "batch": batch}
    return events.repair_completed(
        ticket_id or f"T-{uuid.uuid4()}", completed_at=completed_at, site=site,
        work_order_id=work_order_id or f"WO-{uuid.uuid4()}", engineer_id=engineer_id, outcome=outcome, product=product,
        parts_used=[{"part_no": part_no, "qty": 1, "faulty_serial": "P-99", "new_serial": None}],
        failure={"symptom_code": "E21", "failure_mode": failure_mode, "cause_code": cause_code,
                 "failed_part_no": part_no, "description": "Drain pump seized"},
        **changes,
    )


def settlement_posted(work_order_id: str, ticket_id: str, customer: str = "0.00", manufacturer: str = "180.50",
                      settlement_id: str | None = None) -> Envelope:
    return events.settlement_posted(
        ticket_id, posted_at=T0 + timedelta(days=1), work_order_id=work_order_id,
        settlement_id=settlement_id or f"ST-{uuid.uuid4()}",
        lines=[{"kind": "labour", "description": "Onsite repair", "part_no": None, "qty": 1,
                "unit_amount": manufacturer, "amount": manufacturer, "payer": "manufacturer"}],
        totals={"customer": customer, "manufacturer": manufacturer},
    )
