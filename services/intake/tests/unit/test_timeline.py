from dataclasses import replace
from datetime import timedelta

import pytest

from aftersales_shared.envelope import InvalidMessage

from intake.service_layer import handlers

from samples import report, ticket_command

REPORTS = ("PartReserved", "EngineerAssigned", "RepairCompleted", "SettlementPosted")


@pytest.fixture
def ticket(uow_factory, rules, events):
    created = handlers.create_ticket(ticket_command(), uow_factory(), rules, events)
    return created


def _ticket(uow_factory, ticket_id):
    with uow_factory() as uow:
        return uow.tickets.get(ticket_id)


def test_reports_of_other_services_land_on_the_timeline(bus, uow_factory, ticket):
    for hour, event_type in enumerate(REPORTS, start=1):
        assert bus.handle(report(event_type, ticket.id, time=ticket.created_at + timedelta(hours=hour))) is True

    seen = _ticket(uow_factory, ticket.id)
    assert [e.type for e in seen.timeline] == ["TicketCreated", *REPORTS]
    assert seen.status == "settled"
    by_type = {e.type: e for e in seen.timeline}
    assert by_type["PartReserved"].source == "inventory"
    assert by_type["PartReserved"].detail == {
        "reservation_id": "R-1", "lines": [{"part_no": "PSU-55", "qty": 1, "from_site": "SH-01"}]}
    assert by_type["EngineerAssigned"].detail == {"work_order_id": "WO-1", "engineer_id": "E-7"}
    assert by_type["RepairCompleted"].detail["outcome"] == "repaired"
    assert by_type["SettlementPosted"].detail["totals"] == {"customer": "0.00", "manufacturer": "80.00"}


def test_timeline_is_in_order_of_occurrence_whatever_the_arrival_order(bus, uow_factory, ticket):
    start = ticket.created_at
    bus.handle(report("SettlementPosted", ticket.id, time=start + timedelta(hours=30)))
    bus.handle(report("PartReserved", ticket.id, time=start + timedelta(hours=1)))
    bus.handle(report("RepairCompleted", ticket.id, time=start + timedelta(hours=5)))

    seen = _ticket(uow_factory, ticket.id)
    assert [e.type for e in seen.timeline] == ["TicketCreated", "PartReserved", "RepairCompleted", "SettlementPosted"]
    assert seen.status == "settled"


def test_repair_completed_before_part_reserved_is_completed(bus, uow_factory, ticket):
    bus.handle(report("RepairCompleted", ticket.id))
    assert _ticket(uow_factory, ticket.id).status == "completed"
    bus.handle(report("PartReserved", ticket.id))
    assert _ticket(uow_factory, ticket.id).status == "completed"


def test_the_same_envelope_twice_is_recorded_once(bus, store, uow_factory, ticket):
    event = report("PartReserved", ticket.id)
    assert bus.handle(event) is True
    assert bus.handle(event) is False

    assert [e.type for e in _ticket(uow_factory, ticket.id).timeline] == ["TicketCreated", "PartReserved"]
    assert event.id in store.inbox


def test_two_distinct_envelopes_of_one_type_are_both_kept(bus, uow_factory, ticket):
    bus.handle(report("PartReservationFailed", ticket.id))
    bus.handle(report("PartReserved", ticket.id))
    seen = _ticket(uow_factory, ticket.id)
    assert [e.type for e in seen.timeline] == ["TicketCreated", "PartReservationFailed", "PartReserved"]
    assert seen.status == "parts_reserved"


def test_reports_emit_nothing(bus, store, ticket):
    bus.handle(report("RepairCompleted", ticket.id))
    assert [e.type for e in store.outbox] == ["TicketCreated"]


def test_an_event_that_overtakes_its_ticket_is_kept_and_shows_once_the_ticket_exists(
        bus, store, uow_factory, ticket):
    early_id = "ticket-not-here-yet"
    bus.handle(report("PartReserved", early_id))
    assert _ticket(uow_factory, early_id) is None
    assert [e.ticket_id for e in store.timeline.values()].count(early_id) == 1

    with uow_factory() as uow:
        uow.tickets.add(replace(ticket, id=early_id, ticket_no="SH01-20260310-0099", timeline=[]))
        uow.commit()

    seen = _ticket(uow_factory, early_id)
    assert [e.type for e in seen.timeline] == ["PartReserved"]
    assert seen.status == "parts_reserved"
    assert [e.type for e in _ticket(uow_factory, ticket.id).timeline] == ["TicketCreated"]


def test_the_longest_ticket_id_the_timeline_keeps_is_accepted(bus, store):
    assert bus.handle(report("PartReserved", "T" * 64)) is True
    assert [e.ticket_id for e in store.timeline.values()] == ["T" * 64]


@pytest.mark.parametrize("data", [
    {}, {"ticket_id": ""}, {"ticket_id": 42}, {"ticket_id": None}, {"ticket_id": "T" * 65},
])
def test_a_report_without_a_usable_ticket_id_is_refused_and_changes_nothing(bus, store, data):
    event = replace(report("RepairCompleted", "t-1"), data=data)
    with pytest.raises(InvalidMessage) as refused:
        bus.handle(event)
    assert "ticket_id" in refused.value.errors["data"]
    assert store.timeline == {} and store.inbox == set()


def test_an_event_type_intake_does_not_follow_is_refused(bus, store):
    event = replace(report("RepairCompleted", "t-1"), type="TicketCreated")
    with pytest.raises(InvalidMessage):
        bus.handle(event)
    assert store.timeline == {} and store.inbox == set()


def test_intake_follows_exactly_the_reports_it_shows():
    assert sorted(handlers.EVENT_HANDLERS) == sorted(
        ["PartReserved", "PartReservationFailed", "EngineerAssigned", "RepairCompleted", "SettlementPosted",
         "SlaBreached"])
