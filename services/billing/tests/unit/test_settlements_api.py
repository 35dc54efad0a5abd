from datetime import datetime, timezone

import pytest

from aftersales_shared.testing import database

from billing.adapters.tables import metadata, outbox
from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints.flask_app import create_app
from billing_events import catalogue_events, part_price_changed

NOW = datetime(2026, 11, 21, 9, 15, tzinfo=timezone.utc)


@pytest.fixture
def billing(tmp_path):
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'billing.db'}"), clock=lambda: NOW)
    metadata.create_all(container.runtime.engine)
    yield container
    container.runtime.dispose()


@pytest.fixture
def priced(billing):
    for event in catalogue_events():
        billing.runtime.bus.handle(event)
    return billing


@pytest.fixture
def client(billing):
    return create_app(billing).test_client()


def row_counts(billing) -> dict:
    return database.row_counts(billing.runtime.engine, metadata)


def published_data(billing) -> list[dict]:
    return [body["data"] for body in database.outbox_bodies(billing.runtime.engine, outbox)]


def test_settlements_of_a_ticket_read_exactly_as_the_event_that_announced_them(priced, client, repair_completed):
    billing = priced
    billing.runtime.bus.handle(repair_completed(work_order_id="WO-1"))
    billing.runtime.bus.handle(repair_completed(work_order_id="WO-2", warranty_status="out_of_warranty",
                                                labour_minutes=50))
    billing.runtime.bus.handle(repair_completed(ticket_id="T-OTHER", work_order_id="WO-3"))

    response = client.get("/api/v1/settlements?ticket_id=T-1001")

    assert response.status_code == 200
    body = response.get_json()
    assert sorted(body, key=lambda s: s["work_order_id"]) == published_data(billing)[:2]
    assert {s["work_order_id"]: s["totals"] for s in body} == {
        "WO-1": {"customer": "0.00", "manufacturer": "265.00"},
        "WO-2": {"customer": "410.00", "manufacturer": "0.00"},
    }
    assert '"qty":0.8333' in response.get_data(as_text=True).replace(" ", "")


def test_one_settlement_by_id(priced, client, repair_completed):
    billing = priced
    billing.runtime.bus.handle(repair_completed())
    (announced,) = published_data(billing)

    response = client.get(f"/api/v1/settlements/{announced['settlement_id']}")

    assert response.status_code == 200
    assert response.get_json() == announced


def test_a_ticket_without_settlements_has_an_empty_list(client):
    response = client.get("/api/v1/settlements?ticket_id=T-NONE")

    assert response.status_code == 200
    assert response.get_json() == []


@pytest.mark.parametrize("query", ["", "?ticket_id=", "?ticket=T-1001", f"?ticket_id={'T' * 65}"])
def test_listing_without_a_usable_ticket_id_is_a_400_naming_it(client, query):
    response = client.get(f"/api/v1/settlements{query}")

    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == ["ticket_id"]


def test_an_unknown_settlement_is_a_404_naming_the_id(client):
    response = client.get("/api/v1/settlements/no-such-settlement")

    assert response.status_code == 404
    assert "settlement_id" in response.get_json()["errors"]


def test_settlements_cannot_be_posted_over_http(billing, client):
    response = client.post("/api/v1/settlements", json={"ticket_id": "T-1001"})

    assert response.status_code == 405
    assert row_counts(billing)["settlements"] == 0


def test_fee_schedule_in_force_and_its_versions(billing, client):
    body = client.get("/api/v1/fee-schedule").get_json()

    assert body["currency"] == "CNY" and body["version"] == 1
    assert body["hourly_rate"] == "120.00" and body["minimum_call_out"] == "80.00"
    assert body["warranty_labour"]["washing_machine"]["onsite"] == "60.00"
    assert body["travel_bands"][1] == {"up_to_km": "30", "fee": "20.00"}
    assert body["penalties"] == {"missing_signature": "20.00", "failed_callback": "30.00", "sla_breach": "0.00",
                                 "repeat_clawback": True}
    assert "parts" not in body
    assert [v["version"] for v in client.get("/api/v1/fee-schedules").get_json()] == [1]
    assert client.get("/api/v1/fee-schedule?at=2019-01-01T00:00:00Z").status_code == 404
    assert client.get("/api/v1/fee-schedule?at=yesterday").status_code in (400, 422)


def test_second_report_of_a_work_order_books_one_row_in_the_database(priced, repair_completed):
    event = repair_completed()
    priced.runtime.bus.handle(event)
    priced.runtime.bus.handle(event)
    priced.runtime.bus.handle(repair_completed(labour_minutes=500))

    counts = row_counts(priced)
    assert (counts["settlements"], counts["settlement_lines"], counts["outbox"]) == (1, 3, 1)


def test_a_job_awaiting_a_price_is_listed_counted_in_metrics_and_posted_when_it_arrives(billing, client,
                                                                                        repair_completed):
    billing.runtime.bus.handle(repair_completed(parts_used=[{"part_no": "NOPE-1", "qty": 1}]))

    assert client.get("/api/v1/awaiting-price").get_json() == [{
        "ticket_id": "T-1001", "work_order_id": "WO-1001", "payee": "SH-01", "warranty_status": "in_warranty",
        "completed_at": "2026-11-20T10:30:00Z", "waiting_for": ["NOPE-1"], "since": "2026-11-21T09:15:00Z",
    }]
    assert "billing_settlements_awaiting_price 1.0" in client.get("/metrics").get_data(as_text=True)
    assert row_counts(billing)["settlements"] == 0

    billing.runtime.bus.handle(part_price_changed("NOPE-1", "9.99", "19.99", description="Knob"))

    assert client.get("/api/v1/awaiting-price").get_json() == []
    assert "billing_settlements_awaiting_price 0.0" in client.get("/metrics").get_data(as_text=True)
    (settlement,) = client.get("/api/v1/settlements?ticket_id=T-1001").get_json()
    assert settlement["totals"]["manufacturer"] == "69.99"  # 60.00 labour + 9.99 at cost
    assert [p["part_no"] for p in client.get("/api/v1/part-prices").get_json()] == ["NOPE-1"]
    (history,) = client.get("/api/v1/part-prices/NOPE-1").get_json()
    assert (history["unit_cost"], history["list_price"], history["revision"]) == ("9.99", "19.99", 1)


def test_health_and_openapi(client):
    assert client.get("/healthz").status_code == 200
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/settlements", "/api/v1/settlements/{settlement_id}", "/api/v1/fee-schedule",
            "/api/v1/awaiting-price", "/api/v1/statements/{payee}/{period}.pdf",
            "/api/v1/periods/{period}/close"} <= set(paths)
