"""Input no database could store, or no column could hold, is a 400 naming the field and writes nothing.

Each case once on PostgreSQL, which refuses NUL characters in text and numbers past their column, and once
on SQLite, which would store almost anything: the answer must not depend on the database behind it.
"""
import json

import pytest

from aftersales_shared.envelope import InvalidMessage
from aftersales_shared.testing import database, events

TICKET = {
    "channel": "hotline", "service_type": "onsite", "site": "SH-01", "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000"},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television", "purchase_date": "2025-06-01"},
    "fault": {"description": "No picture", "first_open_failure": False},
}
ENGINEER = {"engineer_id": "E-1", "name": "Li Wei", "site": "SH-01", "region": "east", "skills": ["television"]}
COMPLETION = {
    "outcome": "repaired", "labour_minutes": 45, "parts_used": [], "customer_signed": True,
    "failure": {"description": "PSU fuse open"},
}
RECEIPT = {"site": "SH-01", "part_no": "PUMP-1", "qty": 4, "unit_cost": "35.50"}
UNIT = {"serial": "A", "model": "WM-100", "category": "washer", "purchase_date": "2024-01-01"}


def _with(body: dict, path: str, value) -> dict:
    changed = json.loads(json.dumps(body))
    *parents, leaf = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    target[leaf] = value
    return changed


def _raw(body) -> dict:
    # json.dumps writes a lone surrogate as a \ud800 escape, as a client's JSON encoder would.
    return {"data": json.dumps(body), "content_type": "application/json"}


BAD_REQUESTS = {
    "intake: NUL in a name": ("intake", "POST", "/api/v1/tickets", {"json": _with(TICKET, "customer.name", "Wang\x00")},
                              ["customer", "name"]),
    "intake: lone surrogate": ("intake", "POST", "/api/v1/tickets", _raw(_with(TICKET, "fault.description", "a\ud800b")),
                               ["fault", "description"]),
    "intake: parts of mixed kinds": ("intake", "POST", "/api/v1/tickets", {"json": _with(TICKET, "parts", [
        {"part_no": 1, "qty": 1}, {"part_no": 1, "qty": 1}, {"part_no": "A", "qty": 1}, {"part_no": "A", "qty": 1},
        "PSU-55", None])}, ["parts"]),
    "intake: 0 for false": ("intake", "POST", "/api/v1/tickets", {"json": _with(TICKET, "fault.first_open_failure", 0)},
                            ["fault", "first_open_failure"]),
    "intake: NUL in a ticket id": ("intake", "GET", "/api/v1/tickets/T%00", {}, ["ticket_id"]),
    "intake: NUL in the Idempotency-Key": ("intake", "POST", "/api/v1/tickets",
                                           {"json": TICKET, "headers": {"Idempotency-Key": "k\x00"}},
                                           ["Idempotency-Key"]),
    "dispatch: NUL in a name": ("dispatch", "POST", "/api/v1/engineers", {"json": _with(ENGINEER, "name", "Li\x00")},
                                ["name"]),
    "dispatch: NUL in a skill": ("dispatch", "POST", "/api/v1/engineers",
                                 {"json": _with(ENGINEER, "skills", ["tv\x00"])}, ["skills"]),
    "dispatch: NUL in a query": ("dispatch", "GET", "/api/v1/work-orders?ticket_id=T%00", {}, ["ticket_id"]),
    "dispatch: NUL in a work order id": ("dispatch", "GET", "/api/v1/work-orders/W%00", {}, ["work_order_id"]),
    "dispatch: a time off the calendar": ("dispatch", "POST", "/api/v1/work-orders/W-1/complete",
                                          {"json": {**COMPLETION, "arrived_at": "0001-01-01T00:00:00+01:00"}},
                                          ["arrived_at"]),
    "dispatch: NUL in a failure": ("dispatch", "POST", "/api/v1/work-orders/W-1/complete",
                                   {"json": _with(COMPLETION, "failure.description", "fuse\x00")},
                                   ["failure", "description"]),
    "inventory: NUL in a part": ("inventory", "GET", "/api/v1/stock?site=SH-01&part_no=P%00", {}, ["part_no"]),
    "inventory: a cost no column holds": ("inventory", "POST", "/api/v1/stock/receipts",
                                          {"json": {**RECEIPT, "unit_cost": "12345678901.00"}}, ["unit_cost"]),
    "inventory: a negative cost": ("inventory", "POST", "/api/v1/stock/receipts",
                                   {"json": {**RECEIPT, "unit_cost": "-1.00"}}, ["unit_cost"]),
    "inventory: a count no column holds": ("inventory", "POST", "/api/v1/stock/receipts",
                                           {"json": {**RECEIPT, "qty": 2**31}}, ["qty"]),
    "billing: NUL in a query": ("billing", "GET", "/api/v1/settlements?ticket_id=T%00", {}, ["ticket_id"]),
    "billing: NUL in a settlement id": ("billing", "GET", "/api/v1/settlements/S%00", {}, ["settlement_id"]),
    "fracas: NUL in a query": ("fracas", "GET", "/api/v1/failures?ticket_id=T%00", {}, ["ticket_id"]),
    "fracas: NUL in a model": ("fracas", "GET", "/api/v1/reliability/weibull?model=WM%00", {}, ["model"]),
    "fracas: NUL in a serial": ("fracas", "POST", "/api/v1/installed-base",
                                {"json": [UNIT, {**UNIT, "serial": "B\x00"}]}, ["1", "serial"]),
    "fracas: units of mixed kinds": ("fracas", "POST", "/api/v1/installed-base",
                                     {"json": [UNIT, 7, "A", {**UNIT, "serial": ["A"]}, UNIT]}, ["1"]),
}


@pytest.mark.parametrize("service, method, path, request_kwargs, error_path", BAD_REQUESTS.values(),
                         ids=BAD_REQUESTS.keys())
def test_bad_input_is_400_naming_the_field_and_writes_nothing(running, service, method, path, request_kwargs,
                                                              error_path):
    api = running(service)
    before = database.snapshot(api.engine, api.metadata)

    response = api.app.test_client().open(path, method=method, **request_kwargs)

    assert response.status_code == 400, response.get_data(as_text=True)
    errors = response.json["errors"]
    for key in error_path:
        assert key in errors, f"{key!r} not in {errors}"
        errors = errors[key]
    assert errors
    assert database.snapshot(api.engine, api.metadata) == before


def test_a_ticket_of_the_longest_site_code_is_numbered_and_kept(running):
    api = running("intake")
    site = "S" * 32

    response = api.app.test_client().post("/api/v1/tickets", json={**TICKET, "site": site})

    assert response.status_code == 201, response.json
    assert response.json["ticket_no"].startswith(site)


def test_a_count_given_as_query_text_is_read_as_a_number(running):
    response = running("dispatch").app.test_client().get("/api/v1/work-orders?limit=68")
    assert (response.status_code, response.json) == (200, [])


BAD_EVENTS = {
    "dispatch: NUL in a kept ticket fact": ("dispatch", events.ticket_created(product={"model": "TV\x00"}), "product"),
    "inventory: a count no column holds": ("inventory", events.ticket_created(parts=[{"part_no": "P", "qty": 2**40}]),
                                           "parts"),
    "inventory: NUL in a part": ("inventory", events.repair_completed(
        parts_used=[{"part_no": "P\x00", "qty": 1}]), "parts_used"),
    "billing: a count no line holds": ("billing", events.repair_completed(
        parts_used=[{"part_no": "P", "qty": 10**7}]), "parts_used"),
    "billing: NUL in a category": ("billing", events.repair_completed(product={"category": "tv\x00"}), "product"),
    "fracas: an amount no column holds": ("fracas", events.settlement_posted(
        "T-1", totals={"customer": "1000000000000.00"}), "totals"),
    "fracas: 1 for true": ("fracas", events.ticket_created(fault={"first_open_failure": 1}), "fault"),
    "intake: NUL in the ticket id": ("intake", events.part_reserved("T\x00"), "ticket_id"),
}


@pytest.mark.parametrize("service, event, field", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_an_event_no_database_could_keep_is_refused_as_invalid_and_changes_nothing(running, service, event, field):
    api = running(service)
    before = database.snapshot(api.engine, api.metadata)

    with pytest.raises(InvalidMessage) as refused:
        api.bus.handle(event)

    assert field in refused.value.errors["data"]
    assert database.snapshot(api.engine, api.metadata) == before
