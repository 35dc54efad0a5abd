"""Intake on a real PostgreSQL: the migrated schema, and HTTP requests racing each other."""
import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from aftersales_shared.cli import service_main
from aftersales_shared.envelope import InvalidMessage
from aftersales_shared.migrations import upgrade
from aftersales_shared.testing import events
from aftersales_shared.testing.contract import assert_conforms
from aftersales_shared.timeutil import parse_rfc3339

from intake.adapters.tables import metadata, outbox, tickets, timeline
from intake.bootstrap import MIGRATIONS, bootstrap, build_runtime
from intake.config import Settings
from intake.entrypoints.flask_app import create_app

pytestmark = pytest.mark.integration

THREADS = 8
BODY = {
    "channel": "web", "service_type": "depot", "priority": "P2", "site": "SH-01", "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000"},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television", "purchase_date": "2025-06-01"},
    "fault": {"description": "No picture", "first_open_failure": False},
    "parts": [{"part_no": "PSU-55", "qty": 1}],
}


@pytest.fixture
def intake(pg_database):
    container = bootstrap(Settings.from_env({"DATABASE_URL": pg_database("intake")}))
    upgrade(MIGRATIONS, container.runtime.engine)
    yield container
    container.runtime.dispose()


def _count(intake, table) -> int:
    with intake.runtime.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _race(app, requests: list[dict]) -> list:
    """Sends every request at the same moment, each from its own thread; returns the responses in order."""
    start = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def send(index: int, request: dict) -> None:
        client = app.test_client()
        start.wait()
        responses[index] = client.post("/api/v1/tickets", **request)

    threads = [threading.Thread(target=send, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return responses


def test_migrations_give_exactly_the_schema_of_the_tables_module(intake):
    with intake.runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrate_command_brings_an_empty_database_up_to_date(pg_database, monkeypatch):
    url = pg_database("intake_cli")
    monkeypatch.setenv("DATABASE_URL", url)

    assert service_main("intake", build_runtime, ["migrate"]) == 0
    assert service_main("intake", build_runtime, ["migrate"]) == 0  # a second run has nothing to do

    engine = bootstrap(Settings.from_env({"DATABASE_URL": url})).runtime.engine
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_same_idempotency_key_from_8_threads_makes_one_ticket(intake):
    app = create_app(intake)
    responses = _race(app, [{"json": BODY, "headers": {"Idempotency-Key": "retry-storm"}}] * THREADS)

    assert [r.status_code for r in responses] == [201] * THREADS, [r.json for r in responses]
    assert len({r.json["id"] for r in responses}) == 1
    assert Counter(r.headers["Idempotent-Replayed"] for r in responses) == {"false": 1, "true": THREADS - 1}
    assert _count(intake, tickets) == 1
    assert _count(intake, outbox) == 1


def test_concurrent_requests_for_one_site_and_day_get_distinct_numbers(intake):
    app = create_app(intake)
    responses = _race(app, [{"json": BODY}] * THREADS)

    assert [r.status_code for r in responses] == [201] * THREADS, [r.json for r in responses]
    numbers = sorted(r.json["ticket_no"] for r in responses)
    assert len(set(numbers)) == THREADS
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, THREADS + 1))
    assert _count(intake, tickets) == THREADS
    assert _count(intake, outbox) == THREADS


def test_a_ticket_round_trips_through_postgres(intake):
    client = create_app(intake).test_client()
    created = client.post("/api/v1/tickets", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.json

    assert client.get(f"/api/v1/tickets/{created.json['id']}").json == created.json
    with intake.runtime.engine.connect() as connection:
        body = connection.execute(select(outbox.c.body)).scalar_one()
    assert_conforms(json.loads(body))


def test_reports_land_on_the_timeline_once(intake):
    client = create_app(intake).test_client()
    ticket = client.post("/api/v1/tickets", json=BODY).json
    reserved = events.part_reserved(ticket["id"], reserved_at=parse_rfc3339(ticket["created_at"]) + timedelta(hours=1))
    assert intake.runtime.bus.handle(reserved) is True
    assert intake.runtime.bus.handle(reserved) is False

    seen = client.get(f"/api/v1/tickets/{ticket['id']}").json
    assert [entry["type"] for entry in seen["timeline"]] == ["TicketCreated", "PartReserved"]
    assert seen["status"] == "parts_reserved"


def test_a_report_with_a_ticket_id_too_long_to_keep_is_refused_as_invalid(intake):
    event = events.repair_completed("T" * 65)
    with pytest.raises(InvalidMessage) as refused:
        intake.runtime.bus.handle(event)
    assert "ticket_id" in refused.value.errors["data"]
    assert _count(intake, timeline) == 0
