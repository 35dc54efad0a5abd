"""Every POST that creates something honours an Idempotency-Key: sent again with the same key and body it gets
the first answer and changes nothing; with another body it is a 409 naming the key; sent many times at once it
has one effect. On PostgreSQL and on SQLite."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from aftersales_shared.testing import database, events

from .services import Running

THREADS = 6
TICKET = {
    "channel": "hotline", "service_type": "onsite", "site": "SH-01", "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000"},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television", "purchase_date": "2025-06-01"},
    "fault": {"description": "No picture", "first_open_failure": False},
}
ENGINEER = {"engineer_id": "E-1", "name": "Li Wei", "site": "SH-01", "region": "east", "skills": ["television"]}
COMPLETION = {"outcome": "repaired", "labour_minutes": 45, "customer_signed": True, "parts_used": [],
              "failure": {"description": "Fuse open"}}
RECEIPT = {"site": "SH-01", "part_no": "PUMP-1", "qty": 4, "unit_cost": "35.50"}
DEPOSIT = {"payee": "SH-01", "amount": "35.00", "description": "Deposit on 1 board"}
UNITS = [{"serial": "A", "model": "WM-100", "category": "washer", "purchase_date": "2024-01-01"},
         {"serial": "B", "model": "WM-100", "category": "washer", "purchase_date": "2024-02-01"}]


def rows(api: Running, table: str, **where) -> int:
    table = api.metadata.tables[table]
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with api.engine.connect() as connection:
        return connection.execute(query).scalar_one()


def assigned_work_order(api: Running) -> str:
    """Path of the completion of a work order assigned to E-1."""
    assert api.app.test_client().post("/api/v1/engineers", json=ENGINEER).status_code == 201
    ticket = events.ticket_created()
    assert api.bus.handle(ticket) is True
    [work_order] = api.app.test_client().get(
        "/api/v1/work-orders", query_string={"ticket_id": ticket.data["ticket_id"]}).json
    return f"/api/v1/work-orders/{work_order['id']}/complete"


def stock_on_hand(api: Running) -> tuple[int, int]:
    level = api.app.test_client().get("/api/v1/stock", query_string={"site": "SH-01", "part_no": "PUMP-1"}).json
    return level["on_hand"], rows(api, "stock_receipts")


@dataclass(frozen=True)
class Creating:
    service: str
    body: object
    other_body: object
    effect: Callable[[Running], object]
    once: object
    path: str = ""
    prepare: Callable[[Running], str] | None = None

    def start(self, running) -> tuple[Running, str]:
        api = running(self.service)
        return api, self.prepare(api) if self.prepare else self.path


CREATING = {
    "intake: a ticket": Creating(
        "intake", TICKET, {**TICKET, "priority": "P1"}, lambda api: (rows(api, "tickets"), rows(api, "outbox")),
        (1, 1), path="/api/v1/tickets"),
    "dispatch: an engineer": Creating(
        "dispatch", ENGINEER, {**ENGINEER, "name": "Li Lei"}, lambda api: rows(api, "engineers"), 1,
        path="/api/v1/engineers"),
    "dispatch: a completion": Creating(
        "dispatch", COMPLETION, {**COMPLETION, "outcome": "replaced"},
        lambda api: rows(api, "outbox", event_type="RepairCompleted"), 1, prepare=assigned_work_order),
    "inventory: a receipt": Creating(
        "inventory", RECEIPT, {**RECEIPT, "qty": 5}, stock_on_hand, (4, 1), path="/api/v1/stock/receipts"),
    "billing: a deposit": Creating(
        "billing", DEPOSIT, {**DEPOSIT, "amount": "36.00"}, lambda api: rows(api, "deposits"), 1,
        path="/api/v1/deposits"),
    "fracas: installed units": Creating(
        "fracas", UNITS, UNITS[:1], lambda api: rows(api, "installed_units"), 2, path="/api/v1/installed-base"),
}
IDS = list(CREATING)


@pytest.mark.parametrize("case", CREATING.values(), ids=IDS)
def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(running, case):
    api, path = case.start(running)
    client = api.app.test_client()
    first = client.post(path, json=case.body, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code in (200, 201), first.json
    after_first = database.snapshot(api.engine, api.metadata)

    again = client.post(path, json=case.body, headers={"Idempotency-Key": "retry-1"})

    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == ("false", "true")
    assert database.snapshot(api.engine, api.metadata) == after_first
    assert case.effect(api) == case.once


@pytest.mark.parametrize("case", CREATING.values(), ids=IDS)
def test_the_same_key_with_another_body_is_409_naming_it_and_changes_nothing(running, case):
    api, path = case.start(running)
    client = api.app.test_client()
    client.post(path, json=case.body, headers={"Idempotency-Key": "retry-1"})
    before = database.snapshot(api.engine, api.metadata)

    response = client.post(path, json=case.other_body, headers={"Idempotency-Key": "retry-1"})

    assert response.status_code == 409
    assert "retry-1" in response.json["errors"]["Idempotency-Key"][0]
    assert database.snapshot(api.engine, api.metadata) == before


@pytest.mark.parametrize("case", CREATING.values(), ids=IDS)
def test_requests_racing_with_one_key_have_one_effect(running, case):
    api, path = case.start(running)
    start = threading.Barrier(THREADS)
    answers: list = [None] * THREADS

    def send(index: int) -> None:
        client = api.app.test_client()
        start.wait(timeout=30)
        answers[index] = client.post(path, json=case.body, headers={"Idempotency-Key": "storm"})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    assert len({(a.status_code, repr(a.json)) for a in answers}) == 1, [(a.status_code, a.json) for a in answers]
    assert sorted(a.headers["Idempotent-Replayed"] for a in answers) == ["false"] + ["true"] * (THREADS - 1)
    assert case.effect(api) == case.once


def test_a_key_used_on_another_endpoint_is_409(running):
    api = running("dispatch")
    client = api.app.test_client()
    path = assigned_work_order(api)
    another = {**ENGINEER, "engineer_id": "E-2"}
    assert client.post("/api/v1/engineers", json=another, headers={"Idempotency-Key": "k-1"}).status_code == 201

    response = client.post(path, json=COMPLETION, headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 409
    assert "Idempotency-Key" in response.json["errors"]


def test_a_receipt_without_a_key_is_booked_each_time(running):
    api = running("inventory")
    client = api.app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/stock/receipts", json=RECEIPT).headers["Idempotent-Replayed"] == "false"
    assert stock_on_hand(api) == (8, 2)
