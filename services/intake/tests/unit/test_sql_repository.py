"""The SQL repository and unit of work on SQLite: what the fakes stand in for behaves the same."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aftersales_shared.db import make_engine
from aftersales_shared.idempotency import Answer, IdempotentRequest
from aftersales_shared.migrations import upgrade

from intake.adapters.tables import metadata
from intake.bootstrap import MIGRATIONS
from intake.domain.tickets import Fault, Product, TimelineEntry
from intake.service_layer import handlers

from samples import ACCEPTED_AT, report, ticket_command


@pytest.fixture
def ticket(intake):
    created = handlers.create_ticket(ticket_command(), intake.uow_factory(), intake.rules, intake.events)
    return created


def _get(intake, ticket_id):
    with intake.uow_factory() as uow:
        return uow.tickets.get(ticket_id)


def test_a_ticket_reads_back_as_it_was_written(intake, ticket):
    assert _get(intake, ticket.id) == ticket
    stored = _get(intake, ticket.id)
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.sla.resolve_by == ACCEPTED_AT + timedelta(hours=24)
    assert stored.product.purchase_date == date(2025, 6, 1)


def test_a_ticket_without_optional_details_reads_back(intake):
    created = handlers.create_ticket(
        ticket_command(customer_address=None, parts=(), product=Product("M", "S", "c"), fault=Fault("x", True)),
        intake.uow_factory(), intake.rules, intake.events)
    assert _get(intake, created.id) == created


def test_numbers_count_per_site_and_day(intake):
    with intake.uow_factory() as uow:
        drawn = [uow.tickets.next_sequence(site, day) for site, day in [
            ("SH-01", date(2026, 3, 10)), ("SH-01", date(2026, 3, 10)), ("SH-01", date(2026, 3, 11)),
            ("BJ-02", date(2026, 3, 10)), ("SH-01", date(2026, 3, 10))]]
        uow.commit()
    assert drawn == [1, 2, 1, 1, 3]


def test_idempotency_keys_are_remembered_with_their_answer(intake):
    request = IdempotentRequest("k", "POST /api/v1/tickets", "h")
    with intake.uow_factory() as uow:
        assert uow.requests.claim(request, ACCEPTED_AT) is None
        uow.requests.record(request, Answer(201, {"id": "t-1"}, "t-1"))
        uow.commit()
    with intake.uow_factory() as uow:
        assert uow.requests.claim(request, ACCEPTED_AT) == Answer(201, {"id": "t-1"}, "t-1")


def test_nothing_stays_without_commit(intake, ticket):
    request = IdempotentRequest("k", "POST /api/v1/tickets", "h")
    with intake.uow_factory() as uow:
        uow.tickets.add_timeline_entry(TimelineEntry("e-1", ticket.id, "PartReserved", ACCEPTED_AT, "inventory"))
        uow.requests.claim(request, ACCEPTED_AT)
    with intake.uow_factory() as uow:
        assert uow.requests.claim(request, ACCEPTED_AT) is None
        assert [e.type for e in uow.tickets.get(ticket.id).timeline] == ["TicketCreated"]


def test_timeline_comes_back_in_order_of_occurrence(intake, ticket):
    bus = intake.runtime.bus
    bus.handle(report("SettlementPosted", ticket.id, time=ACCEPTED_AT + timedelta(days=3)))
    bus.handle(report("RepairCompleted", ticket.id, time=ACCEPTED_AT + timedelta(hours=5)))
    bus.handle(report("EngineerAssigned", ticket.id, time=ACCEPTED_AT + timedelta(hours=1)))
    assert [e.type for e in _get(intake, ticket.id).timeline] == [
        "TicketCreated", "EngineerAssigned", "RepairCompleted", "SettlementPosted"]


def test_a_ticket_can_be_read_without_its_timeline(intake, ticket):
    intake.runtime.bus.handle(report("EngineerAssigned", ticket.id, time=ACCEPTED_AT + timedelta(hours=1)))
    with intake.uow_factory() as uow:
        lean, whole = uow.tickets.get(ticket.id, timeline=False), uow.tickets.get(ticket.id)
    assert lean.timeline == [] and len(whole.timeline) == 2
    assert (lean.state, lean.ticket_no, lean.parts_reserved) == (whole.state, whole.ticket_no, whole.parts_reserved)


def test_the_same_envelope_twice_is_one_entry(intake, ticket):
    event = report("RepairCompleted", ticket.id)
    assert intake.runtime.bus.handle(event) is True
    assert intake.runtime.bus.handle(event) is False
    assert [e.type for e in _get(intake, ticket.id).timeline] == ["TicketCreated", "RepairCompleted"]


def test_an_event_that_overtakes_its_ticket_is_kept_until_the_ticket_exists(intake, ticket):
    early_id = "0f6d5f2e-0000-4000-8000-000000000001"
    intake.runtime.bus.handle(report("PartReserved", early_id))
    assert _get(intake, early_id) is None

    with intake.uow_factory() as uow:
        uow.tickets.add(replace(ticket, id=early_id, ticket_no="SH01-20260310-0099"))
        uow.commit()

    seen = _get(intake, early_id)
    assert [entry.type for entry in seen.timeline] == ["PartReserved"]
    assert seen.status == "parts_reserved"


def test_migrations_build_the_schema_of_the_tables_module(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/migrated.db")
    try:
        upgrade(MIGRATIONS, engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
