import pytest
from marshmallow import ValidationError

from aftersales_shared.envelope import InvalidMessage, parse_envelope
from aftersales_shared.testing.contract import assert_conforms
from inventory.entrypoints.events import INCOMING_SCHEMAS, PUBLISHED
from ticket_events import repair_completed, ticket_created

from fakes import FakeUnitOfWork, fake_bus, stock_up

SITE = "SH-01"


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    stock_up(uow, SITE, {"PUMP-1": 3})
    return uow


def test_emitted_part_reserved_conforms_to_the_contract(uow):
    fake_bus(uow).handle(ticket_created([("PUMP-1", 2)]))

    [reserved] = uow.emitted("PartReserved")
    assert_conforms(reserved.to_dict())
    assert reserved.source == "inventory"


def test_emitted_part_reservation_failed_has_a_conforming_envelope_and_its_documented_data(uow):
    fake_bus(uow).handle(ticket_created([("PUMP-1", 9)]))

    [failed] = uow.emitted("PartReservationFailed")
    assert_conforms(failed.to_dict())
    wire = parse_envelope(failed.to_json())
    assert PUBLISHED["PartReservationFailed"]().validate(wire.data) == {}
    assert set(wire.data) == {"reservation_id", "ticket_id", "site", "shortages", "failed_at", "reason"}


def test_published_schemas_accept_what_is_emitted_and_refuse_an_empty_reservation(uow):
    fake_bus(uow).handle(ticket_created([("PUMP-1", 1)]))
    [reserved] = uow.emitted("PartReserved")
    schema = PUBLISHED["PartReserved"]()

    assert schema.validate(parse_envelope(reserved.to_json()).data) == {}
    with pytest.raises(ValidationError) as refused:
        schema.load({**reserved.data, "lines": []})
    assert "lines" in refused.value.messages


def test_the_events_this_suite_feeds_in_are_shaped_as_the_contract_says():
    assert_conforms(ticket_created([("PUMP-1", 1)]).to_dict())
    assert_conforms(repair_completed("T-1", [("PUMP-1", 1)]).to_dict())


def test_incoming_readers_ignore_fields_inventory_does_not_need():
    event = repair_completed("T-1", [("PUMP-1", 1)])
    loaded = INCOMING_SCHEMAS["RepairCompleted"].load(event.data)
    # new_serial is not inventory's business; faulty_serial is (faulty-part custody).
    assert loaded["parts_used"] == [{"part_no": "PUMP-1", "qty": 1, "faulty_serial": "F-PUMP-1"}]


def _with_data(event, **changes):
    return event.with_data({**event.data, **changes})


@pytest.mark.parametrize("bad, field", [
    (lambda e: _with_data(e, parts=[{"part_no": "PUMP-1", "qty": 0}]), "parts"),
    (lambda e: _with_data(e, parts=[{"part_no": "PUMP-1", "qty": "1"}]), "parts"),
    (lambda e: _with_data(e, parts=[{"qty": 1}]), "parts"),
    (lambda e: e.with_data({k: v for k, v in e.data.items() if k != "parts"}), "parts"),
    (lambda e: _with_data(e, ticket_id=""), "ticket_id"),
])
def test_a_malformed_ticket_is_refused_naming_the_field_and_changes_nothing(uow, bad, field):
    with pytest.raises(InvalidMessage) as refused:
        fake_bus(uow).handle(bad(ticket_created([("PUMP-1", 1)])))

    assert field in refused.value.errors["data"]
    assert uow.stock.levels[SITE, "PUMP-1"].reserved == 0
    assert uow.outbox == [] and uow.seen == set()


@pytest.mark.parametrize("bad, field", [
    (lambda e: _with_data(e, parts_used=[{"part_no": "", "qty": 1}]), "parts_used"),
    (lambda e: _with_data(e, parts_used=None), "parts_used"),
    (lambda e: _with_data(e, completed_at="yesterday"), "completed_at"),
])
def test_a_malformed_repair_report_is_refused_naming_the_field_and_changes_nothing(uow, bad, field):
    with pytest.raises(InvalidMessage) as refused:
        fake_bus(uow).handle(bad(repair_completed("T-1", [("PUMP-1", 1)])))

    assert field in refused.value.errors["data"]
    assert uow.stock.levels[SITE, "PUMP-1"].on_hand == 3
    assert uow.reservations.completions == {} and uow.seen == set()
