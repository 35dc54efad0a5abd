from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from aftersales_shared.bus import EventBus
from aftersales_shared.envelope import InvalidMessage
from aftersales_shared.testing.contract import assert_conforms

from event_builders import T0, reposted, repair_completed, settlement_posted, ticket_created
from fakes import FakeStore, FakeUnitOfWork
from fracas.entrypoints.events import INCOMING_SCHEMAS, PUBLISHED
from fracas.bootstrap import event_writer
from fracas.service_layer.handlers import event_handlers

EVENT_HANDLERS = event_handlers(event_writer())


@pytest.fixture
def store():
    return FakeStore()


@pytest.fixture
def bus(store):
    return EventBus(lambda: FakeUnitOfWork(store), EVENT_HANDLERS, INCOMING_SCHEMAS)


def records_of(store, ticket_id):
    with FakeUnitOfWork(store) as uow:
        return uow.failures.for_ticket(ticket_id)


def test_fracas_reads_the_three_events_and_publishes_problems():
    assert set(EVENT_HANDLERS) == set(INCOMING_SCHEMAS) == {"TicketCreated", "RepairCompleted", "SettlementPosted"}
    assert set(PUBLISHED) == {"ProblemOpened", "ProblemClosed"}


def test_the_events_used_here_are_shaped_like_the_contract():
    for envelope in (ticket_created("T-1"), repair_completed("WO-1", "T-1"), settlement_posted("WO-1", "T-1")):
        assert_conforms(envelope.to_dict())


def test_a_repair_becomes_one_failure_record(bus, store):
    completed_at = datetime(2024, 6, 3, 14, 30, tzinfo=timezone.utc)
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-9", purchase_date=date(2024, 1, 2),
                                completed_at=completed_at))

    [record] = records_of(store, "T-1")
    assert record.work_order_id == "WO-1"
    assert record.engineer_id == "ENG-7"
    assert record.outcome == "repaired" and record.counts_as_failure
    assert record.completed_at == completed_at
    assert record.failure.failure_mode == "wear"
    assert record.failure.cause_code == "BEARING"
    assert record.failure.failed_part_no == "PUMP-01"
    assert record.product.serial == "SN-9"
    assert record.product.purchase_date == date(2024, 1, 2)
    assert record.product.batch == "B-2401"
    assert record.parts_used[0].part_no == "PUMP-01" and record.parts_used[0].faulty_serial == "P-99"
    assert record.warranty_status == "in_warranty"
    assert record.cost is None
    assert record.first_open_failure is None


def test_the_same_envelope_twice_is_one_record(bus, store):
    event = repair_completed("WO-1", "T-1")

    assert bus.handle(event) is True
    assert bus.handle(event) is False

    assert len(records_of(store, "T-1")) == 1


def test_a_repair_reposted_under_a_new_envelope_id_is_still_one_record(bus, store):
    first = repair_completed("WO-1", "T-1", engineer_id="ENG-7")
    again = reposted(first)
    again.data["engineer_id"] = "ENG-8"

    bus.handle(first)
    assert bus.handle(again) is True  # a new envelope: claimed, but the work order is already reported

    [record] = records_of(store, "T-1")
    assert record.engineer_id == "ENG-7"


def test_two_work_orders_of_one_ticket_are_two_records(bus, store):
    bus.handle(repair_completed("WO-1", "T-1", completed_at=T0))
    bus.handle(repair_completed("WO-2", "T-1", completed_at=T0.replace(day=20), outcome="replaced"))

    assert [r.work_order_id for r in records_of(store, "T-1")] == ["WO-1", "WO-2"]


@pytest.mark.parametrize("outcome", ["no_fault_found", "installed"])
def test_visits_that_found_no_failure_are_recorded_but_not_counted(bus, store, outcome):
    bus.handle(repair_completed("WO-1", "T-1", outcome=outcome))

    [record] = records_of(store, "T-1")
    assert record.outcome == outcome
    assert not record.counts_as_failure


def test_settlement_after_the_repair_attaches_its_cost(bus, store):
    bus.handle(repair_completed("WO-1", "T-1"))
    bus.handle(settlement_posted("WO-1", "T-1", customer="12.30", manufacturer="180.50", settlement_id="ST-1"))

    [record] = records_of(store, "T-1")
    assert record.cost.settlement_id == "ST-1"
    assert record.cost.customer == Decimal("12.30")
    assert record.cost.manufacturer == Decimal("180.50")
    assert record.cost.total == Decimal("192.80")
    assert record.cost.currency == "CNY"


def test_settlement_before_the_repair_is_kept_and_attached_when_the_repair_arrives(bus, store):
    bus.handle(settlement_posted("WO-1", "T-1", customer="0.00", manufacturer="95.00", settlement_id="ST-1"))
    assert records_of(store, "T-1") == []

    bus.handle(repair_completed("WO-1", "T-1"))

    [record] = records_of(store, "T-1")
    assert record.cost.settlement_id == "ST-1"
    assert record.cost.manufacturer == Decimal("95.00")
    assert isinstance(record.cost.manufacturer, Decimal)


def test_a_settlement_reposted_for_the_same_work_order_keeps_the_first(bus, store):
    first = settlement_posted("WO-1", "T-1", manufacturer="95.00", settlement_id="ST-1")
    bus.handle(first)
    bus.handle(settlement_posted("WO-1", "T-1", manufacturer="120.00", settlement_id="ST-2"))
    bus.handle(reposted(first))
    bus.handle(repair_completed("WO-1", "T-1"))

    [record] = records_of(store, "T-1")
    assert (record.cost.settlement_id, record.cost.manufacturer) == ("ST-1", Decimal("95.00"))


@pytest.mark.parametrize("ticket_first", [True, False])
def test_the_doa_flag_of_the_ticket_joins_the_record_in_either_order(bus, store, ticket_first):
    events = [ticket_created("T-1", first_open_failure=True), repair_completed("WO-1", "T-1")]
    for event in events if ticket_first else reversed(events):
        bus.handle(event)

    [record] = records_of(store, "T-1")
    assert record.first_open_failure is True


def test_a_ticket_reposted_under_a_new_envelope_id_keeps_the_first(bus, store):
    first = ticket_created("T-1", first_open_failure=False)
    again = reposted(first)
    again.data["fault"] = {**again.data["fault"], "first_open_failure": True}

    bus.handle(first)
    bus.handle(again)

    with FakeUnitOfWork(store) as uow:
        assert uow.tickets.get("T-1").first_open_failure is False


def test_unknown_fields_are_ignored(bus, store):
    event = repair_completed("WO-1", "T-1")
    event.data["satisfaction"] = 5
    event.data["product"]["colour"] = "white"
    event.data["failure"]["photo_url"] = "https://example.invalid/p.jpg"

    bus.handle(event)

    assert len(records_of(store, "T-1")) == 1


@pytest.mark.parametrize(
    ("event", "breaks", "path"),
    [
        (repair_completed("WO-1", "T-1"), lambda d: d.pop("work_order_id"), ("work_order_id",)),
        (repair_completed("WO-1", "T-1"), lambda d: d.update(outcome="fixed"), ("outcome",)),
        (repair_completed("WO-1", "T-1"), lambda d: d.update(completed_at="yesterday"), ("completed_at",)),
        (repair_completed("WO-1", "T-1"), lambda d: d["product"].pop("serial"), ("product", "serial")),
        (settlement_posted("WO-1", "T-1"), lambda d: d["totals"].update(manufacturer=95.5), ("totals", "manufacturer")),
        (ticket_created("T-1"), lambda d: d["fault"].pop("first_open_failure"), ("fault", "first_open_failure")),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field_and_changes_nothing(bus, store, event, breaks, path):
    breaks(event.data)

    with pytest.raises(InvalidMessage) as raised:
        bus.handle(event)

    errors = raised.value.errors["data"]
    for key in path:
        errors = errors[key]
    assert errors
    assert store.inbox == set()
    assert (store.failures, store.costs, store.tickets) == ({}, {}, {})


def test_a_handler_failure_leaves_no_trace(bus, store, monkeypatch):
    def explode(cost):
        raise RuntimeError("database went away")

    event = settlement_posted("WO-1", "T-1")
    with monkeypatch.context() as patch:
        patch.setattr("fakes.FakeFailureRepository.add_cost", lambda self, cost: explode(cost))
        with pytest.raises(RuntimeError):
            bus.handle(event)

    assert store.inbox == set() and store.costs == {}
    bus.handle(event)  # the redelivery is processed, not taken for a duplicate
    assert set(store.costs) == {"WO-1"}
