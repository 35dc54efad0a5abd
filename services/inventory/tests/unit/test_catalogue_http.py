"""The catalogue and the ledger over HTTP, on SQLite."""
import json

import pytest
from sqlalchemy import select

from inventory.adapters.tables import metadata, outbox
from inventory.bootstrap import bootstrap
from inventory.config import Settings
from inventory.entrypoints.flask_app import create_app

PART = {"description": "Drain pump 220V", "category": "pump", "list_price": "59.90", "returnable": True}


@pytest.fixture
def inventory(tmp_path):
    inventory = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'inventory.db'}"))
    metadata.create_all(inventory.runtime.engine)
    yield inventory
    inventory.runtime.dispose()


@pytest.fixture
def client(inventory):
    return create_app(inventory).test_client()


def published(inventory):
    with inventory.runtime.engine.connect() as connection:
        rows = connection.execute(select(outbox.c.routing_key, outbox.c.body).order_by(outbox.c.position)).all()
    return [(key, json.loads(body)["data"]) for key, body in rows if key.startswith("PartPriceChanged")]


def test_put_creates_then_updates_a_part(client, inventory):
    created = client.put("/api/v1/parts/PUMP-1", json=PART)
    updated = client.put("/api/v1/parts/PUMP-1", json={**PART, "list_price": "64.00", "superseded_by": "PUMP-2"})

    assert (created.status_code, updated.status_code) == (201, 200)
    part = client.get("/api/v1/parts/PUMP-1").get_json()
    assert part["list_price"] == "64.00" and part["superseded_by"] == "PUMP-2"
    assert (part["unit_cost"], part["returnable"], part["revision"]) == ("0.00", True, 2)
    assert [(key, data["list_price"], data["revision"]) for key, data in published(inventory)] == [
        ("PartPriceChanged.all.all", "59.90", 1), ("PartPriceChanged.all.all", "64.00", 2)]


def test_a_receipt_of_an_unknown_part_puts_it_in_the_catalogue_at_its_cost(client, inventory):
    assert client.get("/api/v1/parts/PCB-9").status_code == 404
    client.post("/api/v1/stock/receipts", json={"site": "SH-01", "part_no": "PCB-9", "qty": 2, "unit_cost": "35.00"})

    part = client.get("/api/v1/parts/PCB-9").get_json()
    assert (part["unit_cost"], part["description"], part["revision"]) == ("35.00", "PCB-9", 1)
    [(_, data)] = published(inventory)
    assert data["unit_cost"] == "35.00"


@pytest.mark.parametrize("body, field", [
    ({**PART, "list_price": 59.9}, "list_price"),
    ({**PART, "returnable": "yes"}, "returnable"),
    ({k: v for k, v in PART.items() if k != "description"}, "description"),
    ({**PART, "superseded_by": "PUMP-1"}, "superseded_by"),
])
def test_a_bad_part_is_refused_naming_the_field_and_changes_nothing(client, inventory, body, field):
    response = client.put("/api/v1/parts/PUMP-1", json=body)

    assert response.status_code in (400, 422)
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/parts/PUMP-1").status_code == 404
    assert published(inventory) == []


def test_the_ledger_explains_on_hand_and_reserved_with_adjustment_reasons(client):
    client.post("/api/v1/stock/receipts", json={"site": "SH-01", "part_no": "PUMP-1", "qty": 5, "unit_cost": "10.00"})
    lost = client.post("/api/v1/stock/adjustments",
                       json={"site": "SH-01", "part_no": "PUMP-1", "change": -2, "reason": "water damage"})
    too_many = client.post("/api/v1/stock/adjustments",
                           json={"site": "SH-01", "part_no": "PUMP-1", "change": -9, "reason": "miscount"})
    zero = client.post("/api/v1/stock/adjustments",
                       json={"site": "SH-01", "part_no": "PUMP-1", "change": 0, "reason": "nothing"})

    assert lost.status_code == 201 and lost.get_json()["on_hand"] == 3
    assert too_many.status_code == 422 and "change" in too_many.get_json()["errors"]
    assert zero.status_code == 422
    ledger = client.get("/api/v1/stock/ledger?site=SH-01&part_no=PUMP-1").get_json()
    assert [(m["kind"], m["on_hand_change"], m["reason"]) for m in ledger["movements"]] == [
        ("receipt", 5, None), ("adjustment", -2, "water damage")]
    assert sum(m["on_hand_change"] for m in ledger["movements"]) == ledger["on_hand"] == 3


def test_sites_deposits_transfers_and_reconciliation_over_http(client):
    assert client.put("/api/v1/sites/SH-01", json={"region": "east", "deposit": "100.00"}).status_code == 201
    assert client.put("/api/v1/sites/SH-02", json={"region": "east", "deposit": None}).status_code == 201
    client.post("/api/v1/stock/receipts", json={"site": "SH-02", "part_no": "PUMP-1", "qty": 9, "unit_cost": "30.00"})

    refused = client.post("/api/v1/transfers", json={"part_no": "PUMP-1", "qty": 4, "from_site": "SH-02",
                                                     "to_site": "SH-01"})
    shipped = client.post("/api/v1/transfers", json={"part_no": "PUMP-1", "qty": 3, "from_site": "SH-02",
                                                     "to_site": "SH-01"})
    too_many = client.post("/api/v1/stock/receipts", json={"site": "SH-01", "part_no": "BELT-2", "qty": 1,
                                                           "unit_cost": "10.01"})

    assert refused.status_code == 422 and "deposit of 100.00" in refused.get_json()["errors"]["to_site"][0]
    assert shipped.status_code == 201 and shipped.get_json()["status"] == "in_transit"
    assert too_many.status_code == 422 and "qty" in too_many.get_json()["errors"]
    site = client.get("/api/v1/sites/SH-01").get_json()
    assert (site["stock_value"], site["inbound_value"], site["headroom"]) == ("0.00", "90.00", "10.00")

    transfer_id = shipped.get_json()["id"]
    arrived = client.post(f"/api/v1/transfers/{transfer_id}/receive")
    assert arrived.status_code == 200 and arrived.get_json()["status"] == "received"
    assert client.post("/api/v1/transfers/nope/receive").status_code == 404
    assert client.get("/api/v1/stock?site=SH-01&part_no=PUMP-1").get_json()["on_hand"] == 3
    month = arrived.get_json()["received_at"][:7]
    reconciliation = client.get(f"/api/v1/sites/SH-01/reconciliation?month={month}").get_json()
    assert reconciliation["movements"] == {"transfer_in": "90.00"}
    assert (reconciliation["closing_value"], reconciliation["within_deposit"]) == ("90.00", True)
    assert client.get("/api/v1/sites/SH-01/reconciliation?month=2026-13").status_code in (400, 422)


def test_faulty_parts_over_http_from_overdue_to_outcome(client, inventory):
    from datetime import timedelta

    from aftersales_shared.timeutil import utcnow
    from ticket_events import repair_completed

    client.put("/api/v1/parts/PCB-1", json={**PART, "returnable": True})
    inventory.runtime.bus.handle(repair_completed("T-5", [("PCB-1", 1)], completed_at=utcnow() - timedelta(hours=7)))

    [overdue] = client.get("/api/v1/faulty-parts/overdue?site=SH-01").get_json()
    part_url = f"/api/v1/faulty-parts/{overdue['id']}"
    assert (overdue["ticket_id"], overdue["status"], overdue["follow_ups"]) == ("T-5", "awaiting_engineer", [])
    assert client.post(f"{part_url}/rma", json={"supplier": "Acme", "rma_no": "R-1"}).status_code == 409
    assert client.post(f"{part_url}/received").get_json()["status"] == "received"
    shipped = client.post(f"{part_url}/rma", json={"supplier": "Acme", "rma_no": "R-1"}).get_json()
    assert [f["day"] for f in shipped["follow_ups"]] == [3, 7, 15, 30]
    assert client.post(f"{part_url}/outcome", json={"outcome": "lost"}).status_code in (400, 422)
    closed = client.post(f"{part_url}/outcome", json={"outcome": "repaired"}).get_json()
    assert (closed["status"], closed["outcome"], closed["escalated"]) == ("closed", "repaired", False)
    assert client.get("/api/v1/faulty-parts/overdue").get_json() == []
    assert client.post("/api/v1/faulty-parts/nope/received").status_code == 404


def test_reports_over_http(client, inventory):
    from ticket_events import repair_completed

    client.post("/api/v1/stock/receipts", json={"site": "SH-01", "part_no": "PUMP-1", "qty": 5, "unit_cost": "10.00"})
    client.post("/api/v1/stock/receipts", json={"site": "SH-01", "part_no": "BELT-2", "qty": 1, "unit_cost": "3.00"})
    inventory.runtime.bus.handle(repair_completed("T-8", [("PUMP-1", 2)]))

    slow = client.get("/api/v1/reports/slow-stock?site=SH-01&days=30").get_json()
    use = client.get("/api/v1/reports/usage?site=SH-01&part_no=PUMP-1&months=2").get_json()

    assert [(s["part_no"], s["status"], s["value"]) for s in slow] == [
        ("BELT-2", "dead", "3.00"), ("PUMP-1", "low_moving", "30.00")]
    assert use["months"][-1]["used"] == 2 and len(use["months"]) == 2
    assert use["forecast_next_month"] == 0.67
    assert client.get("/api/v1/reports/slow-stock?site=SH-01&days=0").status_code in (400, 422)
    for until in ("2026-13", "0000-01", "9999-12"):
        assert client.get(f"/api/v1/reports/usage?site=SH-01&part_no=PUMP-1&until={until}").status_code == 400
    assert client.get("/api/v1/sites/SH-01/reconciliation?month=9999-12").status_code == 400
