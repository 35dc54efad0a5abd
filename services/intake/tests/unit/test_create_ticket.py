from datetime import date, timedelta

import pytest

from aftersales_shared.idempotency import Answer, IdempotencyConflict, IdempotentRequest, Replayed
from aftersales_shared.testing.contract import assert_conforms

from intake.domain.tickets import Fault, Product
from intake.service_layer import handlers

from fakes import FakeUnitOfWork
from samples import ACCEPTED_AT, ticket_command


def answer(ticket) -> Answer:
    return Answer(201, {"id": ticket.id, "ticket_no": ticket.ticket_no}, ticket.id)


def test_creates_an_open_ticket_with_its_decisions(store, uow_factory, rules, events):
    ticket = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)

    assert store.tickets[ticket.id].ticket_no == ticket.ticket_no == "SH01-20260310-0001"
    assert ticket.status == "open"
    assert ticket.created_at == ACCEPTED_AT
    assert (ticket.warranty.status, ticket.warranty.expires_on) == ("in_warranty", date(2026, 6, 1))
    assert ticket.sla.respond_by == ACCEPTED_AT + timedelta(hours=4)
    assert ticket.sla.resolve_by == ACCEPTED_AT + timedelta(hours=24)
    assert ticket.customer.customer_id.startswith("C-")
    assert store.rows.customers["+8613800138000"].customer_id == ticket.customer.customer_id
    assert [entry.type for entry in ticket.timeline] == ["TicketCreated"]
    assert ticket.timeline[0].change == {"from": "new", "to": "awaiting_dispatch", "by": "desk", "why": "opened"}
    assert ticket.state == "awaiting_dispatch"


def test_the_same_caller_is_one_customer_however_the_number_is_typed(uow_factory, rules, events):
    first = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    second = handlers.create_ticket(ticket_command(customer_phone="+86-13800138000"), uow_factory(), rules, events)
    other = handlers.create_ticket(ticket_command(customer_phone="+86 139 0000 0000"), uow_factory(), rules, events)
    assert first.customer.customer_id == second.customer.customer_id != other.customer.customer_id


def test_emits_exactly_one_ticket_created_that_conforms_to_the_contract(store, uow_factory, rules, events):
    uow = uow_factory()
    ticket = handlers.create_ticket(ticket_command(), uow, rules, events)

    assert [e.type for e in store.outbox] == ["TicketCreated"]
    assert uow.committed == store.outbox
    event = store.outbox[0]
    assert_conforms(event.to_dict())
    assert event.routing_key == "TicketCreated.east.SH-01"
    assert event.source == "intake"
    assert event.subject == event.correlation_id == ticket.id
    assert event.causation_id is None
    assert (event.region, event.site) == ("east", "SH-01")
    assert event.time == ACCEPTED_AT
    assert event.data["ticket_id"] == ticket.id
    assert event.data["ticket_no"] == ticket.ticket_no
    assert event.data["warranty"] == {"status": "in_warranty", "expires_on": "2026-06-01"}
    assert event.data["sla"] == {"respond_by": "2026-03-10T13:30:00Z", "resolve_by": "2026-03-11T09:30:00Z"}
    assert event.data["parts"] == [{"part_no": "PSU-55", "qty": 1}]
    assert event.data["product"]["purchase_date"] == "2025-06-01"
    assert event.data["fault"]["first_open_failure"] is False
    assert ticket.timeline[0].event_id == event.id


@pytest.mark.parametrize("overrides", [
    {"product": Product("TV-55X", "SN-0001", "television", purchase_date=None)},
    {"parts": (), "customer_address": None, "priority": "P4", "channel": "dealer", "partner_id": "D-17"},
    {"fault": Fault("Dead on arrival", first_open_failure=True)},
])
def test_every_shape_of_ticket_created_conforms(store, uow_factory, rules, overrides, events):
    handlers.create_ticket(ticket_command(**overrides), uow_factory(), rules, events)
    (event,) = store.outbox
    assert_conforms(event.to_dict())


def test_without_purchase_date_the_event_says_unknown(store, uow_factory, rules, events):
    command = ticket_command(product=Product("TV-55X", "SN-0001", "television", purchase_date=None))
    handlers.create_ticket(command, uow_factory(), rules, events)
    assert store.outbox[0].data["warranty"] == {"status": "unknown", "expires_on": None}


def test_ticket_numbers_count_per_site_and_day(store, uow_factory, rules, events):
    numbers = [handlers.create_ticket(ticket_command(site=site), uow_factory(), rules, events).ticket_no
               for site in ("SH-01", "SH-01", "BJ-02", "SH-01")]
    assert numbers == ["SH01-20260310-0001", "SH01-20260310-0002", "BJ02-20260310-0001", "SH01-20260310-0003"]


def test_same_idempotency_key_and_request_gives_the_same_ticket_and_emits_nothing_more(
        store, uow_factory, rules, events):
    command = ticket_command(request=IdempotentRequest("k-1", "POST /api/v1/tickets", "h-1"))
    first = handlers.create_ticket(command, uow_factory(), rules, events, answer=answer)
    replay_uow = uow_factory()
    again = handlers.create_ticket(command, replay_uow, rules, events, answer=answer)

    assert again == Replayed(Answer(201, {"id": first.id, "ticket_no": first.ticket_no}, first.id))
    assert len(store.tickets) == 1
    assert len(store.outbox) == 1
    assert replay_uow.committed == []


def test_same_idempotency_key_with_another_request_is_a_conflict_and_changes_nothing(
        store, uow_factory, rules, events):
    handlers.create_ticket(ticket_command(request=IdempotentRequest("k-1", "POST /api/v1/tickets", "h-1")),
                           uow_factory(), rules, events, answer=answer)
    before = (dict(store.tickets), dict(store.timeline), list(store.outbox), dict(store.requests))

    with pytest.raises(IdempotencyConflict):
        handlers.create_ticket(
            ticket_command(priority="P1", request=IdempotentRequest("k-1", "POST /api/v1/tickets", "h-2")),
            uow_factory(), rules, events, answer=answer)

    assert (dict(store.tickets), dict(store.timeline), list(store.outbox), dict(store.requests)) == before


def test_without_a_key_each_request_is_a_new_ticket(store, uow_factory, rules, events):
    first = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    second = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    assert first.id != second.id
    assert len(store.outbox) == 2


def test_a_failure_before_commit_leaves_no_trace(store, rules, events):
    class BrokenOutbox(FakeUnitOfWork):
        def emit(self, envelope):
            raise OSError("disk full")

    with pytest.raises(OSError):
        handlers.create_ticket(ticket_command(request=IdempotentRequest("k-1", "POST /api/v1/tickets", "h")),
                               BrokenOutbox(store), rules, events, answer=answer)

    assert store.tickets == {} and store.timeline == {} and store.outbox == []
    assert store.requests == {} and store.rows.sequences == {}
