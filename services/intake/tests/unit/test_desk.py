"""The desk's look-ups over HTTP: keyset pages stable under inserts, customers by phone or name, known units."""
from datetime import timedelta

import pytest

from samples import ACCEPTED_AT, ticket_body


@pytest.fixture
def ticking(intake_with):
    """An intake whose clock moves a minute per ticket, so tickets have distinct creation times."""
    times = iter(ACCEPTED_AT + timedelta(minutes=i) for i in range(1000))
    return intake_with(clock=lambda: next(times))


@pytest.fixture
def desk(ticking):
    from intake.entrypoints.flask_app import create_app
    return create_app(ticking).test_client()


def _post(client, n, **changes):
    body = ticket_body()
    body["product"]["serial"] = f"SN-{n}"
    body.update(changes)
    answer = client.post("/api/v1/tickets", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_keyset_pages_are_stable_under_inserts(desk):
    made = [_post(desk, n)["id"] for n in range(5)]
    first = desk.get("/api/v1/tickets", query_string={"site": "SH-01", "limit": 2})
    assert first.status_code == 200, first.json
    first = first.json
    assert [t["id"] for t in first["items"]] == made[::-1][:2]  # newest first by default

    _post(desk, 99)  # a new ticket lands on top; the pages already handed out do not shift
    second = desk.get("/api/v1/tickets", query_string={"site": "SH-01", "limit": 2, "after": first["next"]})
    assert second.status_code == 200, second.json
    second = second.json
    third = desk.get("/api/v1/tickets", query_string={"site": "SH-01", "limit": 2, "after": second["next"]}).json
    assert [t["id"] for t in second["items"] + third["items"]] == made[::-1][2:]
    assert third["next"] is None


def test_filters_and_sorting(desk):
    _post(desk, 1, priority="P1")
    p4 = _post(desk, 2, priority="P4")
    _post(desk, 3, site="BJ-01")
    only = desk.get("/api/v1/tickets", query_string={"priority": "P4"}).json["items"]
    assert [t["id"] for t in only] == [p4["id"]]
    by_deadline = desk.get("/api/v1/tickets", query_string={"sort": "resolve_by", "order": "asc"}).json["items"]
    assert [t["priority"] for t in by_deadline][0] == "P1"
    assert desk.get("/api/v1/tickets", query_string={"state": "awaiting_dispatch", "region": "east"}).json["items"]
    assert desk.get("/api/v1/tickets", query_string={"state": "closed"}).json["items"] == []
    assert desk.get("/api/v1/tickets", query_string={"after": "garbage!"}).status_code == 422
    assert desk.get("/api/v1/tickets", query_string={"limit": 0}).status_code == 400


def test_customers_by_phone_or_name_with_units_and_past_tickets(desk):
    first = _post(desk, 1)
    _post(desk, 2)
    found = desk.get("/api/v1/customers", query_string={"phone": "+86 13800138000"}).json
    assert [c["id"] for c in found] == [first["customer"]["customer_id"]]
    assert desk.get("/api/v1/customers", query_string={"name": "wang"}).json[0]["name"] == "Wang Fang"
    card = desk.get(f"/api/v1/customers/{found[0]['id']}").json
    assert sorted(u["serial"] for u in card["units"]) == ["SN-1", "SN-2"]
    assert len(card["tickets"]) == 2
    assert desk.get("/api/v1/customers/C-nobody").status_code == 404


def test_a_serial_seen_before(desk):
    ticket = _post(desk, 7)
    unit = desk.get("/api/v1/units/SN-7").json
    assert (unit["model"], unit["category"], unit["purchase_date"], unit["batch"]) == (
        "TV-55X", "television", "2025-06-01", "B2405")
    assert unit["last_ticket_id"] == ticket["id"]
    assert desk.get("/api/v1/units/SN-never").status_code == 404
