import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from aftersales_shared.testing import database
from aftersales_shared.testing.contract import assert_conforms

from intake.adapters.tables import metadata, outbox
from intake.entrypoints.flask_app import create_app

from samples import ACCEPTED_AT, report, ticket_body

TICKETS = "/api/v1/tickets"
CLOSED_PORT_AMQP_URL = "amqp://guest:guest@127.0.0.1:1//"


def row_counts(intake) -> dict[str, int]:
    return database.row_counts(intake.runtime.engine, metadata)


def outbox_bodies(intake) -> list[dict]:
    return database.outbox_bodies(intake.runtime.engine, outbox)


# -- creating and reading ---------------------------------------------------------------------------

def test_post_accepts_a_request_and_answers_with_the_ticket(client, intake):
    response = client.post(TICKETS, json=ticket_body())

    assert response.status_code == 201, response.json
    ticket = response.json
    assert ticket["id"]
    assert response.headers["Location"] == f"{TICKETS}/{ticket['id']}"
    assert response.headers["Idempotent-Replayed"] == "false"
    assert ticket["ticket_no"] == "SH01-20260310-0001"
    assert ticket["status"] == "open"
    assert ticket["warranty"] == {"status": "in_warranty", "expires_on": "2026-06-01",
                                  "reason": "in term until 2026-06-01 (purchase date given)"}
    assert ticket["state"] == "awaiting_dispatch"
    assert ticket["created_at"] == "2026-03-10T09:30:00Z"
    assert ticket["sla"] == {"respond_by": "2026-03-10T13:30:00Z", "resolve_by": "2026-03-11T09:30:00Z"}
    assert [entry["type"] for entry in ticket["timeline"]] == ["TicketCreated"]
    assert ticket["customer"]["customer_id"].startswith("C-")
    assert ticket["parts"] == [{"part_no": "PSU-55", "qty": 1}]
    assert row_counts(intake)["tickets"] == 1


def test_get_returns_what_post_answered(client):
    created = client.post(TICKETS, json=ticket_body()).json
    response = client.get(f"{TICKETS}/{created['id']}")
    assert response.status_code == 200
    assert response.json == created


def test_optional_fields_may_be_left_out(client):
    body = ticket_body()
    for optional in ("priority", "parts"):
        del body[optional]
    del body["customer"]["address"]
    del body["product"]["batch"]
    del body["fault"]["symptom_code"]
    body["product"]["purchase_date"] = None

    response = client.post(TICKETS, json=body)

    assert response.status_code == 201, response.json
    assert response.json["priority"] == "P3"
    assert response.json["parts"] == []
    assert response.json["warranty"] == {"status": "unknown", "expires_on": None,
                                          "reason": "no purchase date: proof of purchase needed"}


def test_an_expired_purchase_is_out_of_warranty(client):
    body = ticket_body()
    body["product"]["purchase_date"] = "2019-01-01"
    warranty = client.post(TICKETS, json=body).json["warranty"]
    assert warranty == {"status": "out_of_warranty", "expires_on": "2020-01-01",
                        "reason": "term ended on 2020-01-01"}


def test_post_stores_one_ticket_created_in_the_outbox_conforming_to_the_contract(client, intake):
    ticket = client.post(TICKETS, json=ticket_body()).json

    (envelope,) = outbox_bodies(intake)
    assert_conforms(envelope)
    assert envelope["type"] == "TicketCreated"
    assert envelope["subject"] == envelope["correlation_id"] == envelope["data"]["ticket_id"] == ticket["id"]
    assert envelope["causation_id"] is None
    assert envelope["id"] == ticket["timeline"][0]["event_id"]
    with intake.runtime.engine.connect() as connection:
        assert connection.execute(select(outbox.c.routing_key)).scalar_one() == "TicketCreated.east.SH-01"


def test_reports_from_the_bus_show_on_the_ticket(client, intake):
    ticket = client.post(TICKETS, json=ticket_body()).json
    bus = intake.runtime.bus
    completed = report("RepairCompleted", ticket["id"], time=ACCEPTED_AT + timedelta(hours=3))
    bus.handle(completed)
    bus.handle(report("PartReserved", ticket["id"], time=ACCEPTED_AT + timedelta(hours=1)))
    bus.handle(completed)

    seen = client.get(f"{TICKETS}/{ticket['id']}").json
    assert seen["status"] == "completed"
    assert [entry["type"] for entry in seen["timeline"]] == ["TicketCreated", "PartReserved", "RepairCompleted"]


# -- idempotency ------------------------------------------------------------------------------------

def test_a_retried_post_with_the_same_key_replays_the_first_ticket(client, intake):
    first = client.post(TICKETS, json=ticket_body(), headers={"Idempotency-Key": "call-42"})
    # Same request, keys in another order and other whitespace: still the same request.
    again = client.post(TICKETS, data=json.dumps(ticket_body(), indent=2, sort_keys=True),
                        content_type="application/json", headers={"Idempotency-Key": "call-42"})

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.json == first.json
    assert first.headers["Idempotent-Replayed"] == "false"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert row_counts(intake)["tickets"] == 1
    assert row_counts(intake)["outbox"] == 1


def test_the_same_key_with_another_body_is_409_and_writes_nothing(client, intake):
    client.post(TICKETS, json=ticket_body(), headers={"Idempotency-Key": "call-42"})
    before = row_counts(intake)
    other = ticket_body()
    other["priority"] = "P1"

    response = client.post(TICKETS, json=other, headers={"Idempotency-Key": "call-42"})

    assert response.status_code == 409
    assert "Idempotency-Key" in response.json["errors"]
    assert row_counts(intake) == before


def test_another_key_is_another_ticket(client, intake):
    first = client.post(TICKETS, json=ticket_body(), headers={"Idempotency-Key": "call-1"}).json
    second = client.post(TICKETS, json=ticket_body(), headers={"Idempotency-Key": "call-2"}).json
    assert first["id"] != second["id"]
    assert first["ticket_no"] != second["ticket_no"]
    assert row_counts(intake)["outbox"] == 2


# -- bad input --------------------------------------------------------------------------------------

def _without(path):
    def change(body):
        *parents, leaf = path
        target = body
        for key in parents:
            target = target[key]
        del target[leaf]
    return change


def _set(path, value):
    def change(body):
        *parents, leaf = path
        target = body
        for key in parents:
            target = target[key]
        target[leaf] = value(body) if callable(value) else value
    return change


FUTURE = (date.today() + timedelta(days=30)).isoformat()

INVALID_BODIES = {
    "missing channel": (_without(["channel"]), ["channel"]),
    "missing site": (_without(["site"]), ["site"]),
    "missing customer": (_without(["customer"]), ["customer"]),
    "missing customer phone": (_without(["customer", "phone"]), ["customer", "phone"]),
    "missing product serial": (_without(["product", "serial"]), ["product", "serial"]),
    "missing purchase_date": (_without(["product", "purchase_date"]), ["product", "purchase_date"]),
    "missing fault description": (_without(["fault", "description"]), ["fault", "description"]),
    "missing first_open_failure": (_without(["fault", "first_open_failure"]), ["fault", "first_open_failure"]),
    "unknown channel": (_set(["channel"], "fax"), ["channel"]),
    "unknown service_type": (_set(["service_type"], "teleport"), ["service_type"]),
    "unknown priority": (_set(["priority"], "P5"), ["priority"]),
    "null priority": (_set(["priority"], None), ["priority"]),
    "purchase_date month 13": (_set(["product", "purchase_date"], "2026-13-01"), ["product", "purchase_date"]),
    "purchase_date Feb 30": (_set(["product", "purchase_date"], "2025-02-30"), ["product", "purchase_date"]),
    "purchase_date not a date": (_set(["product", "purchase_date"], "last spring"), ["product", "purchase_date"]),
    "purchase_date in the future": (_set(["product", "purchase_date"], FUTURE), ["product", "purchase_date"]),
    "qty 0": (_set(["parts"], [{"part_no": "PSU-55", "qty": 0}]), ["parts", "0", "qty"]),
    "qty as text": (_set(["parts"], [{"part_no": "PSU-55", "qty": "1"}]), ["parts", "0", "qty"]),
    "qty fractional": (_set(["parts"], [{"part_no": "PSU-55", "qty": 1.5}]), ["parts", "0", "qty"]),
    "part without part_no": (_set(["parts"], [{"qty": 1}]), ["parts", "0", "part_no"]),
    "duplicate part_no": (
        _set(["parts"], [{"part_no": "PSU-55", "qty": 1}, {"part_no": "PSU-55", "qty": 2}]), ["parts"]),
    "site with a space": (_set(["site"], "SH 01"), ["site"]),
    "unknown field": (_set(["discount"], "10%"), ["discount"]),
    "customer not an object": (_set(["customer"], "Wang Fang"), ["customer"]),
    "parts not a list": (_set(["parts"], {"part_no": "PSU-55", "qty": 1}), ["parts"]),
}


@pytest.mark.parametrize("change, error_path", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_is_400_naming_the_field_and_writes_nothing(client, intake, change, error_path):
    client.post(TICKETS, json=ticket_body())  # numbering and keys already in use must not move either
    before = row_counts(intake)
    body = ticket_body()
    change(body)

    response = client.post(TICKETS, json=body, headers={"Idempotency-Key": "bad-1"})

    assert response.status_code == 400, response.json
    errors = response.json["errors"]
    for key in error_path:
        assert key in errors, f"{key!r} not in {errors}"
        errors = errors[key]
    assert errors
    assert row_counts(intake) == before


NOT_A_TICKET_OBJECT = {
    "plain text": ("channel=hotline", "text/plain", "body"),
    "JSON sent as text/plain": (json.dumps(ticket_body()), "text/plain", "body"),
    "malformed JSON": ('{"channel": "hotline",', "application/json", "body"),
    "a JSON array": (json.dumps([ticket_body()]), "application/json", "_schema"),
    "a JSON string": ('"ticket"', "application/json", "_schema"),
    "JSON null": ("null", "application/json", None),
}


@pytest.mark.parametrize("data, content_type, error_key", NOT_A_TICKET_OBJECT.values(), ids=NOT_A_TICKET_OBJECT.keys())
def test_a_body_that_is_not_a_json_object_is_400_and_writes_nothing(client, intake, data, content_type, error_key):
    before = row_counts(intake)

    response = client.post(TICKETS, data=data, content_type=content_type)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["errors"]
    if error_key:
        assert error_key in response.json["errors"]
    assert row_counts(intake) == before


def test_an_empty_body_names_the_required_fields(client, intake):
    response = client.post(TICKETS, json={})
    assert response.status_code == 400
    assert {"channel", "service_type", "site", "region", "customer", "product", "fault"} <= set(response.json["errors"])
    assert row_counts(intake)["tickets"] == 0


def test_an_empty_idempotency_key_is_400(client, intake):
    response = client.post(TICKETS, json=ticket_body(), headers={"Idempotency-Key": ""})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json["errors"]
    assert row_counts(intake)["tickets"] == 0


def test_unknown_ticket_is_404_naming_the_id(client):
    response = client.get(f"{TICKETS}/3b1c0d7e-9a0f-4d7e-8c34-5d5f0e9b2a11")
    assert response.status_code == 404
    assert "ticket_id" in response.json["errors"]


# -- operations -------------------------------------------------------------------------------------

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_a_broker_outage_is_reported_but_the_web_tier_stays_ready(intake_with):
    intake = intake_with(AMQP_URL=CLOSED_PORT_AMQP_URL)
    try:
        response = create_app(intake).test_client().get("/readyz")
    finally:
        intake.runtime.dispose()
    # the outbox keeps the events while the broker is away, so taking tickets goes on
    assert response.status_code == 200
    assert response.json["ready"] is True
    assert response.json["checks"] == {"database": "ok", "broker": "unavailable"}


def test_metrics_count_the_unpublished_outbox(client):
    client.post(TICKETS, json=ticket_body())
    text = client.get("/metrics").get_data(as_text=True)
    assert 'outbox_pending_messages{service="intake"} 1.0' in text


def test_openapi_lists_the_ticket_routes(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    assert "/api/v1/tickets" in paths and "post" in paths["/api/v1/tickets"]
    assert "/api/v1/tickets/{ticket_id}" in paths and "get" in paths["/api/v1/tickets/{ticket_id}"]
