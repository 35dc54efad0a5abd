from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from itertools import permutations

import pytest

from aftersales_shared.envelope import InvalidMessage

from dispatch.domain.work_orders import Product, Sla
from dispatch.service_layer import handlers

from samples import ACCEPTED_AT, engineer, part_reservation_failed, part_reserved, ticket_created


def work_orders_of(uow_factory, ticket_id):
    with uow_factory() as uow:
        return uow.work_orders.list(ticket_id=ticket_id)


def test_a_work_order_keeps_the_ticket_facts_a_repair_report_needs(bus, uow_factory, clock):
    event = ticket_created(site="GZ-03", region="south", warranty="out_of_warranty", service_type="depot")

    bus.handle(event)

    [work_order] = work_orders_of(uow_factory, event.data["ticket_id"])
    assert (work_order.site, work_order.region) == ("GZ-03", "south")
    assert (work_order.service_type, work_order.priority) == ("depot", "P2")
    assert work_order.product == Product("TV-55X", "SN-0001", "television", date(2025, 6, 1), "B2405")
    assert work_order.warranty_status == "out_of_warranty"
    assert work_order.sla == Sla(ACCEPTED_AT + timedelta(hours=4), ACCEPTED_AT + timedelta(hours=24))
    assert work_order.ticket_created_at == ACCEPTED_AT
    assert work_order.created_at == clock.now
    assert work_order.parts_status is None


def test_a_redelivered_ticket_creates_one_work_order(bus, store, uow_factory):
    event = ticket_created()

    assert bus.handle(event) is True
    assert bus.handle(event) is False

    assert len(work_orders_of(uow_factory, event.data["ticket_id"])) == 1


def test_a_ticket_announced_again_under_a_new_envelope_creates_one_work_order_and_one_assignment(
        bus, store, uow_factory, clock, events):
    handlers.register_engineer(engineer("E-1"), uow_factory(), clock, events=events)
    first = ticket_created()
    again = ticket_created(first.data["ticket_id"])
    assert again.id != first.id

    bus.handle(first)
    bus.handle(again)

    [work_order] = work_orders_of(uow_factory, first.data["ticket_id"])
    assert work_order.engineer_id == "E-1"
    assert len(store.emitted("EngineerAssigned")) == 1


@pytest.mark.parametrize("broken, field", [
    ({"service_type": "teleport"}, "service_type"),
    ({"priority": "urgent"}, "priority"),
    ({"warranty": {"status": "maybe", "expires_on": None}}, "warranty"),
    ({"sla": {"respond_by": "tomorrow", "resolve_by": "2026-03-11T09:30:00Z"}}, "sla"),
    ({"created_at": "2026-03-10T09:30:00"}, "created_at"),
    ({"ticket_id": ""}, "ticket_id"),
    ({"ticket_id": "T" * 101}, "ticket_id"),
])
def test_a_ticket_dispatch_cannot_read_is_refused_and_changes_nothing(bus, store, broken, field):
    event = ticket_created()
    event.data.update(broken)

    with pytest.raises(InvalidMessage) as refused:
        bus.handle(event)

    assert field in refused.value.errors["data"]
    assert store.rows.work_orders == {}
    assert store.inbox == set()


def test_a_ticket_without_product_category_is_refused(bus, store):
    event = ticket_created()
    del event.data["product"]["category"]

    with pytest.raises(InvalidMessage) as refused:
        bus.handle(event)

    assert refused.value.errors["data"]["product"] == {"category": ["Missing data for required field."]}
    assert store.rows.work_orders == {}


def test_fields_dispatch_does_not_read_may_change_freely(bus, uow_factory):
    event = ticket_created(channel="carrier_pigeon", customer=None, future_field={"x": 1})
    event.data["product"]["colour"] = "black"

    assert bus.handle(event) is True

    assert len(work_orders_of(uow_factory, event.data["ticket_id"])) == 1


def test_a_parts_reservation_shows_on_the_work_order(bus, uow_factory):
    ticket = ticket_created()
    bus.handle(ticket)

    bus.handle(part_reserved(ticket.data["ticket_id"], reservation_id="R-7"))

    [work_order] = work_orders_of(uow_factory, ticket.data["ticket_id"])
    assert (work_order.parts_status, work_order.reservation_id) == ("reserved", "R-7")


def test_a_reservation_that_overtook_the_ticket_is_applied_when_the_work_order_is_created(bus, uow_factory):
    ticket = ticket_created()

    bus.handle(part_reserved(ticket.data["ticket_id"]))
    assert work_orders_of(uow_factory, ticket.data["ticket_id"]) == []
    bus.handle(ticket)

    [work_order] = work_orders_of(uow_factory, ticket.data["ticket_id"])
    assert work_order.parts_status == "reserved"


SHORT_THEN_RESERVED = [
    lambda t: ticket_created(t),
    lambda t: part_reservation_failed(t, time=ACCEPTED_AT + timedelta(minutes=5)),
    lambda t: part_reserved(t, time=ACCEPTED_AT + timedelta(hours=2), reservation_id="R-2"),
]


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_parts_status_is_the_latest_report_whatever_the_arrival_order(bus, uow_factory, order):
    ticket_id = "T-order"
    for index in order:
        bus.handle(SHORT_THEN_RESERVED[index](ticket_id))

    [work_order] = work_orders_of(uow_factory, ticket_id)
    assert (work_order.parts_status, work_order.reservation_id) == ("reserved", "R-2")


@pytest.mark.parametrize("first_reserved", [True, False])
def test_a_later_shortage_replaces_an_earlier_reservation(bus, uow_factory, first_reserved):
    ticket = ticket_created()
    ticket_id = ticket.data["ticket_id"]
    reserved = part_reserved(ticket_id, time=ACCEPTED_AT + timedelta(minutes=5))
    short = part_reservation_failed(ticket_id, time=ACCEPTED_AT + timedelta(hours=1))
    for event in ([reserved, short] if first_reserved else [short, reserved]) + [ticket]:
        bus.handle(event)

    [work_order] = work_orders_of(uow_factory, ticket_id)
    assert work_order.parts_status == "short"


def test_a_reservation_and_a_shortage_at_the_same_instant_converge_on_reserved(bus, uow_factory):
    at = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)
    ticket = ticket_created()
    ticket_id = ticket.data["ticket_id"]
    bus.handle(ticket)
    bus.handle(part_reserved(ticket_id, time=at))
    bus.handle(part_reservation_failed(ticket_id, time=at))

    [work_order] = work_orders_of(uow_factory, ticket_id)
    assert work_order.parts_status == "reserved"


def test_a_parts_report_without_ticket_id_is_refused(bus, store):
    event = part_reserved("T-1")
    broken = replace(event, data={k: v for k, v in event.data.items() if k != "ticket_id"})

    with pytest.raises(InvalidMessage) as refused:
        bus.handle(broken)

    assert "ticket_id" in refused.value.errors["data"]
    assert store.rows.parts_reports == {}
