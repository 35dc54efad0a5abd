from datetime import datetime, timedelta, timezone

import pytest

from aftersales_shared.testing import database
from aftersales_shared.testing.contract import assert_conforms

from dispatch.adapters.tables import metadata, outbox
from dispatch.bootstrap import bootstrap
from dispatch.config import Settings
from dispatch.entrypoints.flask_app import create_app

from samples import completion_body, engineer_body, part_reserved, ticket_created

ENGINEERS = "/api/v1/engineers"
WORK_ORDERS = "/api/v1/work-orders"


@pytest.fixture
def dispatch(tmp_path):
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/dispatch.db"))
    metadata.create_all(container.runtime.engine)
    yield container
    container.runtime.dispose()


@pytest.fixture
def client(dispatch):
    return create_app(dispatch).test_client()


def row_counts(dispatch) -> dict[str, int]:
    return database.row_counts(dispatch.runtime.engine, metadata)


def database_snapshot(dispatch) -> dict:
    return database.snapshot(dispatch.runtime.engine, metadata)


def outbox_bodies(dispatch, event_type=None) -> list[dict]:
    return database.outbox_bodies(dispatch.runtime.engine, outbox, event_type)


def announce(dispatch, event) -> None:
    assert dispatch.runtime.bus.handle(event) is True


@pytest.fixture
def assigned(client, dispatch):
    """An assigned work order of an in-warranty ticket."""
    assert client.post(ENGINEERS, json=engineer_body()).status_code == 201
    ticket = ticket_created()
    announce(dispatch, ticket)
    [work_order] = client.get(WORK_ORDERS, query_string={"ticket_id": ticket.data["ticket_id"]}).json
    assert work_order["status"] == "assigned"
    return work_order


# -- engineers --------------------------------------------------------------------------------------

def test_registering_an_engineer_answers_with_the_engineer(client, dispatch):
    response = client.post(ENGINEERS, json=engineer_body())

    assert response.status_code == 201, response.json
    assert response.json["engineer_id"] == "E-1"
    assert response.json["skills"] == ["television", "washer"]
    assert response.json["available"] is True
    assert response.json["open_work_orders"] == 0
    assert response.json["assigned_work_orders"] == []
    assert row_counts(dispatch)["engineers"] == 1


def test_available_defaults_to_true(client):
    body = engineer_body()
    del body["available"]
    assert client.post(ENGINEERS, json=body).json["available"] is True


def test_an_engineer_is_registered_once(client, dispatch):
    client.post(ENGINEERS, json=engineer_body())

    response = client.post(ENGINEERS, json=engineer_body(name="Another", site="BJ-02"))

    assert response.status_code == 409
    assert "engineer_id" in response.json["errors"]
    assert row_counts(dispatch)["engineers"] == 1


def test_engineers_are_listed_by_site_with_their_load(client, dispatch):
    client.post(ENGINEERS, json=engineer_body(engineer_id="E-2"))
    client.post(ENGINEERS, json=engineer_body(engineer_id="E-1"))
    client.post(ENGINEERS, json=engineer_body(engineer_id="E-9", site="BJ-02"))
    announce(dispatch, ticket_created())

    response = client.get(ENGINEERS, query_string={"site": "SH-01"})

    assert response.status_code == 200
    assert [(e["engineer_id"], e["open_work_orders"]) for e in response.json] == [("E-1", 1), ("E-2", 0)]
    assert len(client.get(ENGINEERS).json) == 3


def test_a_bad_site_filter_is_refused(client):
    response = client.get(ENGINEERS, query_string={"site": "no such site!"})
    assert response.status_code == 400
    assert "site" in response.json["errors"]


@pytest.mark.parametrize("change, field", [
    ({"engineer_id": None}, "engineer_id"),
    ({"engineer_id": "has space"}, "engineer_id"),
    ({"name": ""}, "name"),
    ({"site": "SH_01!"}, "site"),
    ({"region": None}, "region"),
    ({"skills": []}, "skills"),
    ({"skills": "television"}, "skills"),
    ({"skills": [""]}, "skills"),
    ({"available": "perhaps"}, "available"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_engineer_is_refused_naming_the_field(client, dispatch, change, field):
    body = {k: v for k, v in {**engineer_body(), **change}.items() if v is not None}

    response = client.post(ENGINEERS, json=body)

    assert response.status_code == 400
    assert field in response.json["errors"]
    assert row_counts(dispatch)["engineers"] == 0


def test_a_body_that_is_not_json_is_refused(client, dispatch):
    response = client.post(ENGINEERS, data="engineer_id=E-1", content_type="text/plain")
    assert response.status_code == 400
    assert "body" in response.json["errors"]
    assert row_counts(dispatch)["engineers"] == 0


def test_broken_json_is_refused(client, dispatch):
    response = client.post(ENGINEERS, data='{"engineer_id": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json["errors"]
    assert row_counts(dispatch)["engineers"] == 0


# -- work orders ------------------------------------------------------------------------------------

def test_a_ticket_nobody_can_take_is_visible_as_unassigned_until_an_engineer_registers(client, dispatch):
    ticket = ticket_created()
    announce(dispatch, ticket)
    ticket_id = ticket.data["ticket_id"]

    [waiting] = client.get(WORK_ORDERS, query_string={"ticket_id": ticket_id}).json
    assert (waiting["status"], waiting["engineer_id"], waiting["dispatched_at"]) == ("unassigned", None, None)

    registered = client.post(ENGINEERS, json=engineer_body()).json

    assert registered["assigned_work_orders"] == [waiting["id"]]
    assert registered["open_work_orders"] == 1
    now = client.get(f"{WORK_ORDERS}/{waiting['id']}").json
    assert (now["status"], now["engineer_id"]) == ("assigned", "E-1")
    assert now["dispatched_at"] is not None
    [assigned_event] = outbox_bodies(dispatch, "EngineerAssigned")
    assert_conforms(assigned_event)
    assert assigned_event["data"]["work_order_id"] == waiting["id"]


def test_a_work_order_shows_the_ticket_and_the_parts(client, dispatch, assigned):
    announce(dispatch, part_reserved(assigned["ticket_id"], reservation_id="R-9"))

    response = client.get(f"{WORK_ORDERS}/{assigned['id']}")

    assert response.status_code == 200
    body = response.json
    assert (body["parts_status"], body["reservation_id"]) == ("reserved", "R-9")
    assert body["completed_at"] is None and body["completion"] is None
    assert body["product"]["category"] == "television"
    assert (body["site"], body["region"], body["warranty_status"]) == ("SH-01", "east", "in_warranty")
    assert set(body["sla"]) == {"respond_by", "resolve_by"}
    assert {clock["clock"] for clock in body.pop("clocks")} == {"respond", "resolve", "hard_cap"}
    [listed] = client.get(WORK_ORDERS, query_string={"ticket_id": assigned["ticket_id"]}).json
    assert {**listed, "clocks": None} == {**body, "clocks": None}


def test_work_orders_of_an_unknown_ticket_are_an_empty_list(client):
    response = client.get(WORK_ORDERS, query_string={"ticket_id": "no-such-ticket"})
    assert (response.status_code, response.json) == (200, [])


def test_work_orders_can_be_filtered_by_status(client, dispatch, assigned):
    announce(dispatch, ticket_created(category="fridge"))

    unassigned = client.get(WORK_ORDERS, query_string={"status": "unassigned"}).json

    assert [w["product"]["category"] for w in unassigned] == ["fridge"]
    assert client.get(WORK_ORDERS, query_string={"status": "lost"}).status_code == 400


def test_an_unknown_work_order_is_404(client):
    response = client.get(f"{WORK_ORDERS}/no-such-id")
    assert response.status_code == 404
    assert "work_order_id" in response.json["errors"]


# -- completing -------------------------------------------------------------------------------------

def test_completing_answers_with_the_completed_work_order_and_emits_repair_completed(client, dispatch, assigned):
    response = client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", json=completion_body())

    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "completed"
    assert body["completed_at"] is not None
    assert body["completion"]["outcome"] == "repaired"
    assert body["completion"]["arrived_at"] == "2026-03-10T09:10:00Z"
    [event] = outbox_bodies(dispatch, "RepairCompleted")
    assert_conforms(event)
    assert event["data"]["work_order_id"] == assigned["id"]
    assert event["data"]["completed_at"] == body["completed_at"]
    assert event["data"]["dispatched_at"] == assigned["dispatched_at"]
    assert event["data"]["engineer_id"] == "E-1"
    assert (event["region"], event["site"], event["subject"]) == ("east", "SH-01", assigned["ticket_id"])
    assert {**client.get(f"{WORK_ORDERS}/{assigned['id']}").json, "clocks": None} == {**body, "clocks": None}


def test_what_may_be_left_out_can_be_left_out(client, dispatch, assigned):
    body = completion_body(parts_used=[{"part_no": "PSU-55", "qty": 2}])
    for optional in ("arrived_at", "satisfaction", "warranty_status"):
        del body[optional]

    response = client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", json=body)

    assert response.status_code == 200, response.json
    [event] = outbox_bodies(dispatch, "RepairCompleted")
    assert_conforms(event)
    assert event["data"]["warranty_status"] == "in_warranty"
    assert event["data"]["arrived_at"] is None
    assert event["data"]["parts_used"] == [{"part_no": "PSU-55", "qty": 2, "faulty_serial": None, "new_serial": None}]


def test_completing_twice_is_409_and_emits_nothing(client, dispatch, assigned):
    client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", json=completion_body())
    before = database_snapshot(dispatch)

    response = client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", json=completion_body(outcome="unrepairable"))

    assert response.status_code == 409
    assert "status" in response.json["errors"]
    assert database_snapshot(dispatch) == before
    assert len(outbox_bodies(dispatch, "RepairCompleted")) == 1


def test_an_unassigned_work_order_cannot_be_completed(client, dispatch):
    ticket = ticket_created()
    announce(dispatch, ticket)
    [waiting] = client.get(WORK_ORDERS, query_string={"ticket_id": ticket.data["ticket_id"]}).json
    before = database_snapshot(dispatch)

    response = client.post(f"{WORK_ORDERS}/{waiting['id']}/complete", json=completion_body())

    assert response.status_code == 409
    assert "engineer_id" in response.json["errors"]
    assert database_snapshot(dispatch) == before


def test_completing_an_unknown_work_order_is_404(client, dispatch):
    response = client.post(f"{WORK_ORDERS}/no-such-id/complete", json=completion_body())
    assert response.status_code == 404
    assert "work_order_id" in response.json["errors"]
    assert row_counts(dispatch)["outbox"] == 0


def test_an_unknown_warranty_needs_the_engineers_decision(client, dispatch):
    client.post(ENGINEERS, json=engineer_body())
    ticket = ticket_created(purchase_date=None, warranty="unknown")
    announce(dispatch, ticket)
    [work_order] = client.get(WORK_ORDERS, query_string={"ticket_id": ticket.data["ticket_id"]}).json
    body = completion_body()
    del body["warranty_status"]
    before = database_snapshot(dispatch)

    refused = client.post(f"{WORK_ORDERS}/{work_order['id']}/complete", json=body)

    assert refused.status_code == 400
    assert "warranty_status" in refused.json["errors"]
    assert database_snapshot(dispatch) == before
    decided = client.post(f"{WORK_ORDERS}/{work_order['id']}/complete",
                          json={**body, "warranty_status": "out_of_warranty"})
    assert decided.status_code == 200
    assert outbox_bodies(dispatch, "RepairCompleted")[0]["data"]["warranty_status"] == "out_of_warranty"


def _in_an_hour() -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()


def _without(field):
    def change(body):
        del body[field]
    return change


def _set(path, value):
    def change(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value() if callable(value) else value
    return change


BAD_COMPLETIONS = [
    (_without("outcome"), "outcome"),
    (_set(["outcome"], "fixed"), "outcome"),
    (_without("labour_minutes"), "labour_minutes"),
    (_set(["labour_minutes"], -1), "labour_minutes"),
    (_set(["labour_minutes"], 10081), "labour_minutes"),
    (_set(["labour_minutes"], "45"), "labour_minutes"),
    (_set(["labour_minutes"], 45.5), "labour_minutes"),
    (_without("parts_used"), "parts_used"),
    (_set(["parts_used"], {"part_no": "PSU-55"}), "parts_used"),
    (_set(["parts_used", 0, "qty"], 0), "parts_used"),
    (_set(["parts_used", 0, "part_no"], ""), "parts_used"),
    (_without("failure"), "failure"),
    (_set(["failure", "description"], "x" * 4001), "failure"),
    (_set(["failure"], "PSU fuse open"), "failure"),
    (_set(["warranty_status"], "unknown"), "warranty_status"),
    (_without("customer_signed"), "customer_signed"),
    (_set(["customer_signed"], "perhaps"), "customer_signed"),
    (_set(["arrived_at"], "yesterday"), "arrived_at"),
    (_set(["arrived_at"], "2026-03-10T09:10:00"), "arrived_at"),
    (_set(["arrived_at"], _in_an_hour), "arrived_at"),
    (_set(["satisfaction"], 0), "satisfaction"),
    (_set(["satisfaction"], 6), "satisfaction"),
    (_set(["mood"], "happy"), "mood"),
]


@pytest.mark.parametrize("change, field", BAD_COMPLETIONS,
                         ids=[f"{field}-{n}" for n, (_, field) in enumerate(BAD_COMPLETIONS)])
def test_a_bad_completion_is_refused_naming_the_field_and_writes_nothing(client, dispatch, assigned, change, field):
    body = completion_body()
    change(body)
    before = database_snapshot(dispatch)

    response = client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", json=body)

    assert response.status_code == 400, response.json
    assert field in response.json["errors"]
    assert database_snapshot(dispatch) == before


def test_a_completion_that_is_not_json_is_refused(client, dispatch, assigned):
    before = database_snapshot(dispatch)
    response = client.post(f"{WORK_ORDERS}/{assigned['id']}/complete", data="done", content_type="text/plain")
    assert response.status_code == 400
    assert "body" in response.json["errors"]
    assert database_snapshot(dispatch) == before


# -- the service's own endpoints --------------------------------------------------------------------

def test_openapi_describes_the_api(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/engineers", "/api/v1/work-orders", "/api/v1/work-orders/{work_order_id}",
            "/api/v1/work-orders/{work_order_id}/complete"} <= set(paths)


def test_healthz_is_up(client):
    assert client.get("/healthz").json == {"status": "ok", "service": "dispatch"}


def test_metrics_report_the_outbox(client, dispatch, assigned):
    body = client.get("/metrics").get_data(as_text=True)
    assert 'outbox_pending_messages{service="dispatch"} 1.0' in body
