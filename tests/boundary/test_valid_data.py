"""Each service used the way its clients and the other services use it, every answer checked by schemathesis
against the OpenAPI document: the answers about things that exist, which random data never reaches."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import schemathesis

from aftersales_shared.envelope import new_envelope
from aftersales_shared.testing import events

from .schemathesis_run import config

TICKET = {
    "channel": "hotline", "service_type": "onsite", "priority": "P2", "site": "SH-01", "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000", "address": "12 Nanjing Rd, Shanghai"},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television", "purchase_date": "2025-06-01",
                "batch": "B2405"},
    "fault": {"symptom_code": "NO_PICTURE", "description": "No picture", "first_open_failure": False},
    "parts": [{"part_no": "PSU-55", "qty": 1}],
}


class Client:
    """Sends a request through schemathesis, which checks the answer against the document."""

    def __init__(self, app):
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config({}))

    def __call__(self, label: str, expect: int, **parts):
        method, path = label.split(" ", 1)
        response = self.schema[path][method].Case(**parts).call_and_validate()
        assert response.status_code == expect, response.text
        return response.json()


def test_intake_a_ticket_and_its_timeline(running):
    api = running("intake")
    call = Client(api.app)

    ticket = call("POST /api/v1/tickets", 201, body=TICKET, headers={"Idempotency-Key": "call-1"})
    created = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
    for event in (events.part_reserved(ticket["id"], reserved_at=created + timedelta(minutes=5)),
                  events.engineer_assigned(ticket["id"], assigned_at=created + timedelta(minutes=9)),
                  events.repair_completed(ticket["id"], completed_at=created + timedelta(hours=2)),
                  events.settlement_posted(ticket["id"], posted_at=created + timedelta(hours=3))):
        assert api.bus.handle(event) is True

    seen = call("GET /api/v1/tickets/{ticket_id}", 200, path_parameters={"ticket_id": ticket["id"]})

    assert seen["status"] == "settled"
    assert len(seen["timeline"]) == 5
    call("GET /api/v1/tickets/{ticket_id}", 404, path_parameters={"ticket_id": "no-such-ticket"})


def test_dispatch_an_engineer_a_work_order_and_its_completion(running):
    api = running("dispatch")
    call = Client(api.app)
    engineer = {"engineer_id": "E-1", "name": "Li Wei", "site": "SH-01", "region": "east",
                "skills": ["television"]}

    call("POST /api/v1/engineers", 201, body=engineer)
    call("POST /api/v1/engineers", 409, body=engineer)
    [listed] = call("GET /api/v1/engineers", 200, query={"site": "SH-01"})
    ticket = events.ticket_created()
    assert api.bus.handle(ticket) is True
    assert api.bus.handle(events.part_reserved(ticket.data["ticket_id"])) is True
    [work_order] = call("GET /api/v1/work-orders", 200, query={"ticket_id": ticket.data["ticket_id"]})
    path = {"work_order_id": work_order["id"]}
    call("GET /api/v1/work-orders/{work_order_id}", 200, path_parameters=path)

    done = call("POST /api/v1/work-orders/{work_order_id}/complete", 200, path_parameters=path, body={
        "outcome": "repaired", "labour_minutes": 45, "customer_signed": True, "satisfaction": 5,
        "parts_used": [{"part_no": "PSU-55", "qty": 1, "faulty_serial": "PSU-BAD-1"}],
        "failure": {"symptom_code": "NO_PICTURE", "failure_mode": "open_circuit", "description": "Fuse open"},
        "arrived_at": (datetime.now(timezone.utc) - timedelta(minutes=30)).isoformat(),
    })

    assert (listed["engineer_id"], done["status"], done["parts_status"]) == ("E-1", "completed", "reserved")
    assert call("GET /api/v1/work-orders/{work_order_id}", 200, path_parameters=path)["completion"]
    call("POST /api/v1/work-orders/{work_order_id}/complete", 409, path_parameters=path, body={
        "outcome": "repaired", "labour_minutes": 45, "customer_signed": True, "parts_used": [],
        "failure": {"description": "again"}})


def test_inventory_receipts_and_what_a_ticket_holds(running):
    api = running("inventory")
    call = Client(api.app)

    call("POST /api/v1/stock/receipts", 201, body={"site": "SH-01", "part_no": "PSU-55", "qty": 3,
                                                   "unit_cost": "35.50"})
    assert api.bus.handle(events.ticket_created()) is True

    level = call("GET /api/v1/stock", 200, query={"site": "SH-01", "part_no": "PSU-55"})
    levels = call("GET /api/v1/stock/levels", 200, query={"site": "SH-01"})

    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 1, 2)
    assert levels == [level]


def test_billing_the_settlement_of_a_repair(running):
    api = running("billing")
    call = Client(api.app)
    assert api.bus.handle(events.repair_completed(
        "T-1", product={"category": "washing_machine"}, parts_used=[{"part_no": "PCB-100", "qty": 1}])) is True
    [held] = call("GET /api/v1/awaiting-price", 200)
    assert held["waiting_for"] == ["PCB-100"]
    # Inventory publishes the part's price; the held job is settled with it.
    assert api.bus.handle(new_envelope(
        type="PartPriceChanged", source="inventory", subject="PCB-100", region="all", site="all",
        correlation_id="PCB-100", time=datetime(2026, 1, 1, tzinfo=timezone.utc),
        data={"part_no": "PCB-100", "description": "Main board", "category": "boards", "unit_cost": "180.00",
              "list_price": "260.00", "returnable": True, "revision": 1, "effective_at": "2026-01-01T00:00:00Z"},
    )) is True

    [settlement] = call("GET /api/v1/settlements", 200, query={"ticket_id": "T-1"})
    again = call("GET /api/v1/settlements/{settlement_id}", 200,
                 path_parameters={"settlement_id": settlement["settlement_id"]})
    schedule = call("GET /api/v1/fee-schedule", 200)
    statement = call("GET /api/v1/statements/{payee}/{period}", 200,
                     path_parameters={"payee": settlement["payee"], "period": settlement["period"]})

    assert again == settlement
    assert settlement["totals"]["manufacturer"] != "0.00"
    assert "parts" not in schedule
    assert statement["warranty_total"] == settlement["totals"]["manufacturer"]
    assert call("GET /api/v1/awaiting-price", 200) == []
    call("GET /api/v1/settlements/{settlement_id}", 404, path_parameters={"settlement_id": "no-such"})


@pytest.mark.parametrize("failed", [0, 4])
def test_fracas_failures_with_their_cost_and_the_weibull_fit(running, failed):
    api = running("fracas")
    call = Client(api.app)
    bought = date(2024, 1, 1)
    units = [{"serial": f"S{n}", "model": "WM-100", "category": "washer",
              "purchase_date": (bought + timedelta(days=10 * n)).isoformat()} for n in range(6)]
    call("POST /api/v1/installed-base", 201, body=units)
    for n in range(failed):
        completed = datetime(2024, 3, 1, tzinfo=timezone.utc) + timedelta(days=40 * n)
        ticket_id, work_order_id = f"T-{n}", f"WO-{n}"
        assert api.bus.handle(events.ticket_created(ticket_id, product={"serial": f"S{n}", "model": "WM-100"})) is True
        assert api.bus.handle(events.repair_completed(
            ticket_id, completed_at=completed, work_order_id=work_order_id,
            product={"serial": f"S{n}", "model": "WM-100", "purchase_date": None})) is True
        assert api.bus.handle(events.settlement_posted(ticket_id, work_order_id=work_order_id)) is True

    failures = call("GET /api/v1/failures", 200, query={"ticket_id": "T-0"})
    answer = call("GET /api/v1/reliability/weibull", 200 if failed else 422,
                  query={"model": "WM-100", "as_of": "2024-12-31"})

    if failed:
        assert failures[0]["cost"]["total"] == "80.00"
        assert (answer["failures"], answer["suspensions"]) == (failed, 6 - failed)
    else:
        assert failures == []
        assert "model" in answer["errors"]
