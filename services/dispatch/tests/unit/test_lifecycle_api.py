"""Work order lifecycles as an engineer and a dispatcher drive them through the API."""
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from aftersales_shared.testing import database
from aftersales_shared.testing.contract import assert_conforms

from dispatch.adapters.tables import metadata, outbox
from dispatch.bootstrap import bootstrap
from dispatch.config import Settings
from dispatch.entrypoints.flask_app import create_app

from samples import (
    ACCEPTED_AT, Clock, completion_body, engineer_body, part_reserved, quote_accepted, ticket_cancelled,
    ticket_created,
)

ENGINEERS = "/api/v1/engineers"
WORK_ORDERS = "/api/v1/work-orders"


@pytest.fixture
def clock():
    return Clock(ACCEPTED_AT + timedelta(minutes=10))


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory):
    """Made once and copied for each test: creating the schema is the slow part of a test's setup."""
    path = tmp_path_factory.mktemp("dispatch") / "empty.db"
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def dispatch(tmp_path, clock, empty_database):
    shutil.copy(empty_database, tmp_path / "dispatch.db")
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/dispatch.db"), clock=clock)
    yield container
    container.runtime.dispose()


@pytest.fixture
def client(dispatch):
    return create_app(dispatch).test_client()


def emitted(dispatch, event_type):
    return database.outbox_bodies(dispatch.runtime.engine, outbox, event_type)


def announce(dispatch, event) -> None:
    assert dispatch.runtime.bus.handle(event) is True


def register(client, engineer_id="E-1", **overrides):
    response = client.post(ENGINEERS, json=engineer_body(engineer_id=engineer_id, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def work_order_of(client, ticket):
    [found] = client.get(WORK_ORDERS, query_string={"ticket_id": ticket.data["ticket_id"]}).json
    return found


def step(client, work_order, action, expect=200, **body):
    response = client.post(f"{WORK_ORDERS}/{work_order['id']}/{action}", json=body)
    assert response.status_code == expect, response.json
    return response.json


def opened(client, dispatch, **ticket):
    event = ticket_created(**ticket)
    announce(dispatch, event)
    return work_order_of(client, event)


def test_an_on_site_job_goes_from_assignment_to_completion_and_the_report_carries_the_times(client, dispatch, clock):
    register(client)
    work_order = opened(client, dispatch, repeat_of="T-EARLIER")
    assert (work_order["status"], work_order["engineer_id"]) == ("assigned", "E-1")
    dispatched_at = work_order["dispatched_at"]

    clock.advance(minutes=5)
    assert step(client, work_order, "accept", engineer_id="E-1")["status"] == "accepted"
    clock.advance(minutes=5)
    assert step(client, work_order, "depart")["status"] == "en_route"
    clock.advance(minutes=20)
    arrived = step(client, work_order, "arrive")
    assert arrived["status"] == "on_site"
    clock.advance(minutes=40)
    body = completion_body(travel_km=12.5)
    del body["arrived_at"]
    done = client.post(f"{WORK_ORDERS}/{work_order['id']}/complete", json=body)

    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed"
    [event] = emitted(dispatch, "RepairCompleted")
    assert_conforms(event)
    data = event["data"]
    assert (data["dispatched_at"], data["arrived_at"]) == (dispatched_at, arrived["arrived_at"])
    assert (data["labour_minutes"], data["parts_used"][0]["part_no"]) == (45, "PSU-55")
    assert (data["site"], data["region"], data["repeat_of"], data["travel_km"]) == ("SH-01", "east", "T-EARLIER", 12.5)
    history = client.get(f"{WORK_ORDERS}/{work_order['id']}/history").json
    assert [h["to_status"] for h in history] == ["unassigned", "assigned", "accepted", "en_route", "on_site",
                                                 "completed"]
    assert client.get(ENGINEERS).json[0]["open_work_orders"] == 0


@pytest.mark.parametrize("done, action, state", [
    ((), "depart", "assigned"),
    ((), "arrive", "assigned"),
    ((), "receive", "assigned"),
    ((), "resume", "assigned"),
    (("accept",), "accept", "accepted"),
    (("accept",), "arrive", "accepted"),
    (("accept", "depart"), "decline", "en_route"),
    (("accept", "depart", "arrive"), "depart", "on_site"),
    (("accept", "depart", "arrive"), "diagnose", "on_site"),
])
def test_an_illegal_step_is_refused_naming_the_current_state(client, dispatch, done, action, state):
    register(client)
    work_order = opened(client, dispatch)
    for earlier in done:
        step(client, work_order, earlier)

    refused = step(client, work_order, action, expect=409, reason="because")

    assert f"it is {state}" in refused["errors"]["status"][0]
    assert client.get(f"{WORK_ORDERS}/{work_order['id']}").json["status"] == state


def test_after_the_end_nothing_more_happens(client, dispatch):
    register(client)
    work_order = opened(client, dispatch)
    step(client, work_order, "cannot-complete", reason="wall mount needs two people")

    for action in ("accept", "resume", "wait-parts"):
        assert "cannot_complete" in step(client, work_order, action, expect=409, reason="x")["errors"]["status"][0]
    assert client.post(f"{WORK_ORDERS}/{work_order['id']}/complete", json=completion_body()).status_code == 409
    assert client.get(f"{WORK_ORDERS}/{work_order['id']}").json["end_reason"] == "wall mount needs two people"
    assert client.get(ENGINEERS).json[0]["open_work_orders"] == 0


def test_cannot_complete_and_decline_need_a_reason(client, dispatch):
    register(client)
    work_order = opened(client, dispatch)
    for action in ("cannot-complete", "decline"):
        refused = client.post(f"{WORK_ORDERS}/{work_order['id']}/{action}", json={})
        assert refused.status_code == 400
        assert "reason" in str(refused.json["errors"])


def test_someone_else_cannot_act_on_an_engineers_job(client, dispatch):
    register(client)
    work_order = opened(client, dispatch)
    refused = step(client, work_order, "accept", expect=409, engineer_id="E-2")
    assert "E-1" in refused["errors"]["engineer_id"][0]


def test_a_declined_job_goes_to_the_next_engineer_and_never_back(client, dispatch):
    register(client, "E-1")
    register(client, "E-2")
    work_order = opened(client, dispatch)
    assert work_order["engineer_id"] == "E-1"

    moved = step(client, work_order, "decline", reason="van broke down")
    assert (moved["status"], moved["engineer_id"], moved["declined_by"]) == ("assigned", "E-2", ["E-1"])
    last = step(client, work_order, "decline", reason="sick")

    assert (last["status"], last["engineer_id"]) == ("unassigned", None)
    assert "no available engineer" in last["unassigned_reason"]
    assert [e["data"]["engineer_id"] for e in emitted(dispatch, "EngineerAssigned")] == ["E-1", "E-2"]
    assert {e["engineer_id"]: e["open_work_orders"] for e in client.get(ENGINEERS).json} == {"E-1": 0, "E-2": 0}


def test_a_depot_unit_goes_through_the_bench_and_back(client, dispatch, clock):
    register(client)
    work_order = opened(client, dispatch, service_type="depot")
    assert (work_order["status"], work_order["engineer_id"]) == ("awaiting_unit", "E-1")
    assert client.post(f"{WORK_ORDERS}/{work_order['id']}/complete", json=completion_body()).status_code == 409

    for action, state in (("receive", "received"), ("diagnose", "diagnosing"), ("repair", "repairing"),
                          ("qc", "qc")):
        clock.advance(hours=1)
        assert step(client, work_order, action)["status"] == state
    body = completion_body()
    del body["arrived_at"]
    done = client.post(f"{WORK_ORDERS}/{work_order['id']}/complete", json=body)

    assert done.json["status"] == "returned"
    [event] = emitted(dispatch, "RepairCompleted")
    assert event["data"]["arrived_at"] == done.json["received_at"]
    assert step(client, work_order, "qc", expect=409)["errors"]["status"][0].endswith("it is returned.")


def test_waiting_for_the_customer_pauses_and_resumes_where_it_stopped(client, dispatch):
    register(client)
    work_order = opened(client, dispatch)
    step(client, work_order, "accept")

    waiting = step(client, work_order, "wait-customer", reason="nobody home")
    assert (waiting["status"], waiting["resume_status"]) == ("waiting_customer", "accepted")
    assert "it is waiting_customer" in step(client, work_order, "depart", expect=409)["errors"]["status"][0]
    assert [c["paused"] for c in client.get(f"{WORK_ORDERS}/{work_order['id']}").json["clocks"]
            if c["clock"] == "resolve"] == [True]

    assert step(client, work_order, "resume")["status"] == "accepted"


def test_an_on_site_job_waits_for_its_parts_and_goes_on_when_they_are_reserved(client, dispatch):
    register(client)
    ticket = ticket_created(parts=[{"part_no": "PSU-55", "qty": 1}])
    announce(dispatch, ticket)
    work_order = work_order_of(client, ticket)
    assert (work_order["status"], work_order["engineer_id"], work_order["resume_status"]) == \
        ("waiting_parts", "E-1", "assigned")
    assert "it is waiting_parts" in step(client, work_order, "accept", expect=409)["errors"]["status"][0]

    announce(dispatch, part_reserved(ticket.data["ticket_id"]))

    assert work_order_of(client, ticket)["status"] == "assigned"


def test_parts_reserved_before_the_ticket_arrives_need_no_wait(client, dispatch):
    register(client)
    ticket = ticket_created(parts=[{"part_no": "PSU-55", "qty": 1}])
    announce(dispatch, part_reserved(ticket.data["ticket_id"]))
    announce(dispatch, ticket)
    assert work_order_of(client, ticket)["status"] == "assigned"


@pytest.mark.parametrize("quote_first", [False, True], ids=["ticket-then-quote", "quote-then-ticket"])
def test_a_quoted_ticket_waits_for_the_customers_yes(client, dispatch, quote_first):
    register(client)
    ticket = ticket_created(quote_required=True, warranty="out_of_warranty")
    accepted = quote_accepted(ticket.data["ticket_id"])
    if quote_first:
        announce(dispatch, accepted)
    announce(dispatch, ticket)
    if not quote_first:
        waiting = work_order_of(client, ticket)
        assert (waiting["status"], waiting["engineer_id"]) == ("awaiting_quote", None)
        assert emitted(dispatch, "EngineerAssigned") == []
        announce(dispatch, accepted)

    work_order = work_order_of(client, ticket)
    assert (work_order["status"], work_order["engineer_id"]) == ("assigned", "E-1")
    assert work_order["accepted_at"] == accepted.data["accepted_at"]
    assert len(emitted(dispatch, "EngineerAssigned")) == 1


@pytest.mark.parametrize("cancel_first", [False, True], ids=["ticket-then-cancel", "cancel-then-ticket"])
def test_a_cancelled_ticket_cancels_its_open_work_order(client, dispatch, cancel_first):
    register(client)
    ticket = ticket_created()
    cancelled = ticket_cancelled(ticket.data["ticket_id"])
    for event in ((cancelled, ticket) if cancel_first else (ticket, cancelled)):
        announce(dispatch, event)

    work_order = work_order_of(client, ticket)
    assert (work_order["status"], work_order["end_reason"]) == ("cancelled", "customer fixed it")
    assert client.get(ENGINEERS).json[0]["open_work_orders"] == 0


def test_an_engineer_going_off_shift_hands_back_jobs_not_yet_started(client, dispatch):
    register(client, "E-1")
    first, second = opened(client, dispatch), opened(client, dispatch)
    step(client, second, "accept")
    step(client, second, "depart")
    register(client, "E-2")

    changed = client.patch(f"{ENGINEERS}/E-1", json={"status": "off"})

    assert changed.status_code == 200, changed.json
    assert (changed.json["status"], changed.json["assigned_work_orders"]) == ("off", [first["id"]])
    assert client.get(f"{WORK_ORDERS}/{first['id']}").json["engineer_id"] == "E-2"
    assert client.get(f"{WORK_ORDERS}/{second['id']}").json["engineer_id"] == "E-1"  # already on the road
    assert {e["engineer_id"]: e["open_work_orders"] for e in client.get(ENGINEERS).json} == {"E-1": 1, "E-2": 1}


def test_an_engineer_back_on_shift_takes_waiting_work(client, dispatch):
    register(client, "E-1", available=False)
    work_order = opened(client, dispatch)
    assert work_order["status"] == "unassigned"

    assert client.patch(f"{ENGINEERS}/E-1", json={"status": "available"}).json["assigned_work_orders"] == \
        [work_order["id"]]


def test_a_dispatcher_reassigns_by_hand_with_a_reason(client, dispatch):
    register(client, "E-1")
    register(client, "E-2")
    work_order = opened(client, dispatch)

    moved = step(client, work_order, "reassign", engineer_id="E-2", reason="E-2 knows the customer")

    assert (moved["engineer_id"], moved["assignment_reason"]) == ("E-2", "by dispatcher: E-2 knows the customer")
    assert [e["data"]["engineer_id"] for e in emitted(dispatch, "EngineerAssigned")] == ["E-1", "E-2"]
    assert step(client, work_order, "reassign", expect=404, engineer_id="E-9", reason="x")
    step(client, work_order, "accept")
    step(client, work_order, "depart")
    assert "en_route" in step(client, work_order, "reassign", expect=409, engineer_id="E-1",
                              reason="x")["errors"]["status"][0]


def test_depot_units_not_back_within_three_working_days_are_listed(client, dispatch, clock):
    register(client)
    assert client.put("/api/v1/sites/SH-01/calendar", json={
        "time_zone": "Asia/Shanghai", "hours": {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": []}).status_code == 200
    work_order = opened(client, dispatch, service_type="mail_in")
    step(client, work_order, "receive")  # Tuesday 17:40 Shanghai; due Friday 18:00 Shanghai
    overdue = "/api/v1/sites/SH-01/depot/overdue"

    clock.now = clock.now.replace(day=13, hour=9, minute=59)  # Friday 17:59 Shanghai
    assert client.get(overdue).json == []
    clock.advance(minutes=2)
    [late] = client.get(overdue).json
    assert (late["work_order_id"], late["due"]) == (work_order["id"], "2026-03-13T10:00:00Z")


def test_a_calendar_is_set_and_read_back_and_a_bad_one_is_refused(client):
    path = "/api/v1/sites/SH-01/calendar"
    assert client.get(path).json["hours"]["mon"] == "00:00-24:00"
    body = {"time_zone": "Asia/Shanghai", "hours": {"mon": "09:00-18:00", "sat": "10:00-14:00"},
            "holidays": ["2026-10-01"]}
    assert client.put(path, json=body).json["recomputed_work_orders"] == 0
    assert client.get(path).json == {**body, "site": "SH-01", "recomputed_work_orders": None}
    assert client.put(path, json={**body, "time_zone": "Mars/Olympus"}).status_code == 422
    assert client.put(path, json={**body, "hours": {"mon": "18:00-09:00"}}).status_code == 422
    assert client.put(path, json={**body, "hours": {"someday": "09:00-18:00"}}).status_code in (400, 422)
    assert client.get(path).json["time_zone"] == "Asia/Shanghai"


def test_an_engineer_change_must_change_something(client, dispatch):
    register(client)
    assert client.patch(f"{ENGINEERS}/E-1", json={}).status_code in (400, 422)
    assert client.patch(f"{ENGINEERS}/E-9", json={"status": "off"}).status_code == 404
    assert client.patch(f"{ENGINEERS}/E-1", json={"shift_start": "08:00"}).status_code == 422
    changed = client.patch(f"{ENGINEERS}/E-1", json={"shift_start": "22:00", "shift_end": "06:00"}).json
    assert (changed["shift_start"], changed["shift_end"], changed["status"]) == ("22:00", "06:00", "available")


def test_a_busy_engineer_keeps_the_queue_but_takes_nothing_new(client, dispatch):
    register(client, "E-1")
    first = opened(client, dispatch)
    register(client, "E-2")

    assert client.patch(f"{ENGINEERS}/E-1", json={"status": "busy"}).json["assigned_work_orders"] == []

    assert client.get(f"{WORK_ORDERS}/{first['id']}").json["engineer_id"] == "E-1"
    assert opened(client, dispatch)["engineer_id"] == "E-2"


def test_a_depot_job_runs_only_the_respond_clock(client, dispatch):
    register(client)
    work_order = opened(client, dispatch, service_type="depot")
    clocks = {c["clock"]: c for c in client.get(f"{WORK_ORDERS}/{work_order['id']}").json["clocks"]}
    assert clocks["respond"]["stopped_at"] is not None
    assert (clocks["resolve"]["deadline"], clocks["hard_cap"]["deadline"]) == (None, None)
