from datetime import datetime, timezone
from decimal import Decimal

import pytest

from aftersales_shared.bus import EventBus
from aftersales_shared.envelope import InvalidMessage
from aftersales_shared.testing.contract import assert_conforms, published_types
from aftersales_shared.testing.fakes import InMemoryStore

from billing.adapters.fee_schedule import load_default_schedule
from billing.bootstrap import event_writer
from billing.domain.fees import FeeSchedules, NoLabourRate
from billing.entrypoints.events import INCOMING_SCHEMAS, PUBLISHED
from billing.domain.catalogue import PartPrice
from billing.service_layer.handlers import Rules, event_handlers, settle_held_jobs
from billing_events import catalogue_events, part_price_changed
from fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 21, 9, 15, tzinfo=timezone.utc)


def make_bus(schedules: FeeSchedules | None = None):
    uow = FakeUnitOfWork(InMemoryStore())
    rules = Rules(schedules=schedules or load_default_schedule(), clock=lambda: NOW)
    return EventBus(uow, event_handlers(rules, event_writer()), INCOMING_SCHEMAS), uow


@pytest.fixture
def bus():
    return make_bus()[0]


@pytest.fixture
def uow(bus):
    return bus.uow_factory()


@pytest.fixture
def priced(bus):
    """The bus after inventory published the prices of the parts the standard job uses."""
    for event in catalogue_events():
        assert bus.handle(event) is True
    return bus


def posted(uow):
    return [event for event in uow.store.outbox if event.type == "SettlementPosted"]


def test_the_incoming_test_events_themselves_follow_the_contract(repair_completed):
    assert_conforms(repair_completed().to_dict())


def test_in_warranty_repair_books_one_settlement_paid_by_the_manufacturer(priced, uow, repair_completed):
    assert priced.handle(repair_completed()) is True

    (settlement,) = uow.settlements.for_ticket("T-1001")
    (announcement,) = posted(uow)
    assert announcement.data == {
        "settlement_id": settlement.settlement_id,
        "ticket_id": "T-1001",
        "work_order_id": "WO-1001",
        "payee": "SH-01",
        "warranty_status": "in_warranty",
        "currency": "CNY",
        "lines": [
            {"kind": "labour", "description": "Warranty labour fee (washing_machine, onsite)", "part_no": None,
             "qty": 1, "unit_amount": "60.00", "amount": "60.00", "payer": "manufacturer"},
            {"kind": "part", "description": "Main control board", "part_no": "PCB-100",
             "qty": 1, "unit_amount": "180.00", "amount": "180.00", "payer": "manufacturer"},
            {"kind": "part", "description": "Water filter cartridge", "part_no": "FLT-400",
             "qty": 2, "unit_amount": "12.50", "amount": "25.00", "payer": "manufacturer"},
        ],
        "totals": {"customer": "0.00", "manufacturer": "265.00"},
        "period": "2026-11",
        "posted_at": "2026-11-21T09:15:00Z",
    }


def test_out_of_warranty_repair_is_charged_to_the_customer_by_the_hour_and_at_list_price(priced, uow, repair_completed):
    priced.handle(repair_completed(warranty_status="out_of_warranty", labour_minutes=50))

    (announcement,) = posted(uow)
    lines = announcement.data["lines"]
    assert [(l["kind"], l["qty"], l["unit_amount"], l["amount"], l["payer"]) for l in lines] == [
        ("labour", 0.8333, "120.00", "100.00", "customer"),
        ("part", 1, "260.00", "260.00", "customer"),
        ("part", 2, "25.00", "50.00", "customer"),
    ]
    assert announcement.data["totals"] == {"customer": "410.00", "manufacturer": "0.00"}
    assert announcement.to_json().count('"qty":0.8333,') == 1


@pytest.mark.parametrize("warranty_status", ["in_warranty", "out_of_warranty"])
def test_settlement_posted_conforms_to_the_contract_and_follows_its_cause(priced, uow, repair_completed,
                                                                          warranty_status):
    event = repair_completed(warranty_status=warranty_status)

    priced.handle(event)

    (announcement,) = posted(uow)
    assert_conforms(announcement.to_dict())
    assert (announcement.source, announcement.subject, announcement.correlation_id) == ("billing", "T-1001", "T-1001")
    assert announcement.causation_id == event.id
    assert announcement.routing_key == "SettlementPosted.east.SH-01"
    assert announcement.time == NOW


def test_every_published_event_type_has_a_contract_schema():
    assert set(PUBLISHED) <= published_types()


def test_the_service_point_that_reported_the_work_is_the_payee(priced, uow, repair_completed):
    priced.handle(repair_completed(site="GZ-02", region="south"))

    (settlement,) = uow.settlements.for_ticket("T-1001")
    assert settlement.payee == "GZ-02"
    assert posted(uow)[0].routing_key == "SettlementPosted.south.GZ-02"


def test_a_duplicated_envelope_books_one_settlement(priced, uow, repair_completed):
    event = repair_completed()

    assert priced.handle(event) is True
    assert priced.handle(event) is False

    assert len(uow.settlements.for_ticket("T-1001")) == 1
    assert len(posted(uow)) == 1


def test_a_second_report_of_the_same_work_order_books_nothing_more(priced, uow, repair_completed):
    priced.handle(repair_completed())
    first = uow.settlements.for_work_order("WO-1001")

    assert priced.handle(repair_completed(labour_minutes=300, warranty_status="out_of_warranty")) is True

    assert uow.settlements.for_ticket("T-1001") == [first]
    assert len(posted(uow)) == 1


def test_each_work_order_of_a_ticket_is_settled(priced, uow, repair_completed):
    priced.handle(repair_completed(work_order_id="WO-1"))
    priced.handle(repair_completed(work_order_id="WO-2", parts_used=[]))

    settlements = uow.settlements.for_ticket("T-1001")
    assert sorted(s.work_order_id for s in settlements) == ["WO-1", "WO-2"]
    assert len(posted(uow)) == 2


def test_a_job_needing_an_unpublished_price_is_held_then_posted_when_the_prices_arrive(bus, uow, repair_completed):
    completion = repair_completed()

    assert bus.handle(completion) is True

    assert posted(uow) == [] and uow.settlements.for_ticket("T-1001") == []
    (held,) = uow.awaiting.list()
    assert (held.job.work_order_id, held.waiting_for, held.since) == ("WO-1001", ("PCB-100", "FLT-400"), NOW)

    board, filter_ = catalogue_events()
    bus.handle(board)
    assert posted(uow) == []
    assert [a.waiting_for for a in uow.awaiting.list()] == [("FLT-400",)]

    bus.handle(filter_)
    (announcement,) = posted(uow)
    assert uow.awaiting.list() == []
    assert announcement.data["totals"] == {"customer": "0.00", "manufacturer": "265.00"}
    assert announcement.causation_id == filter_.id
    # Routed as the job was reported, not as the catalogue-wide price event.
    assert announcement.routing_key == "SettlementPosted.east.SH-01"
    assert announcement.correlation_id == "T-1001"
    assert_conforms(announcement.to_dict())


def test_prices_first_or_completion_first_book_the_same_lines(repair_completed):
    completion = repair_completed()
    outcomes = []
    for order in ([*catalogue_events(), completion], [completion, *catalogue_events()]):
        bus, uow = make_bus()
        for event in order:
            bus.handle(event)
        (announcement,) = posted(uow)
        outcomes.append((announcement.data["lines"], announcement.data["totals"]))

    assert outcomes[0] == outcomes[1]


def test_a_lower_revision_arriving_late_is_ignored(bus, uow, repair_completed):
    bus.handle(part_price_changed("PCB-100", "200.00", "300.00", revision=2))
    bus.handle(part_price_changed("PCB-100", "180.00", "260.00", revision=1))

    assert [p.revision for p in uow.prices.history("PCB-100")] == [2]
    bus.handle(repair_completed(parts_used=[{"part_no": "PCB-100", "qty": 1}]))
    assert posted(uow)[0].data["lines"][1]["unit_amount"] == "200.00"


def test_a_part_is_priced_as_it_was_when_the_job_was_completed(bus, uow, repair_completed):
    bus.handle(part_price_changed("PCB-100", "180.00", "260.00", revision=1,
                                  effective_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    bus.handle(part_price_changed("PCB-100", "200.00", "290.00", revision=2,
                                  effective_at=datetime(2026, 12, 1, tzinfo=timezone.utc)))
    one_part = [{"part_no": "PCB-100", "qty": 1}]

    bus.handle(repair_completed(work_order_id="WO-NOV", parts_used=one_part))
    bus.handle(repair_completed(work_order_id="WO-DEC", parts_used=one_part,
                                completed_at=datetime(2026, 12, 5, tzinfo=timezone.utc)))

    costs = {e.data["work_order_id"]: e.data["lines"][1]["unit_amount"] for e in posted(uow)}
    assert costs == {"WO-NOV": "180.00", "WO-DEC": "200.00"}


def test_out_of_warranty_work_waits_for_a_list_price_warranty_work_does_not(bus, uow, repair_completed):
    bus.handle(part_price_changed("PCB-100", "180.00", None, revision=1))
    one_part = [{"part_no": "PCB-100", "qty": 1}]

    bus.handle(repair_completed(work_order_id="WO-W", parts_used=one_part))
    bus.handle(repair_completed(work_order_id="WO-C", parts_used=one_part, warranty_status="out_of_warranty"))

    assert [e.data["work_order_id"] for e in posted(uow)] == ["WO-W"]
    assert [(a.job.work_order_id, a.waiting_for) for a in uow.awaiting.list()] == [("WO-C", ("PCB-100",))]

    bus.handle(part_price_changed("PCB-100", "180.00", "260.00", revision=2))
    assert [e.data["work_order_id"] for e in posted(uow)] == ["WO-W", "WO-C"]
    assert posted(uow)[1].data["totals"]["customer"] == "440.00"  # 180.00 labour (90 min at 120.00/h) + 260.00


def test_a_second_report_of_a_held_job_changes_nothing(bus, uow, repair_completed):
    bus.handle(repair_completed())
    bus.handle(repair_completed(parts_used=[]))

    (held,) = uow.awaiting.list()
    assert held.waiting_for == ("PCB-100", "FLT-400") and posted(uow) == []


def test_a_job_without_a_labour_rate_raises_and_nothing_is_stored(repair_completed):
    schedules = FeeSchedules.from_mapping({"currency": "CNY", "versions": [{
        "hourly_rate": "120.00", "minimum_call_out": "80.00",
        "warranty_labour": {"washing_machine": {"onsite": "60.00"}},
    }]})
    bus, uow = make_bus(schedules)

    with pytest.raises(NoLabourRate, match="dishwasher"):
        bus.handle(repair_completed(product={"category": "dishwasher", "model": "D", "serial": "S",
                                             "purchase_date": None}, parts_used=[]))

    assert uow.settlements.for_ticket("T-1001") == [] and uow.store.outbox == []


@pytest.mark.parametrize("changes, field", [
    ({"warranty_status": "unknown"}, "warranty_status"),
    ({"service_type": "teleport"}, "service_type"),
    ({"labour_minutes": "90"}, "labour_minutes"),
    ({"labour_minutes": -5}, "labour_minutes"),
    ({"parts_used": [{"part_no": "PCB-100", "qty": 0}]}, "parts_used"),
    ({"completed_at": "2026-11-20T10:30:00"}, "completed_at"),
    ({"product": {"model": "WM-700"}}, "product"),
    ({"work_order_id": "W" * 65}, "work_order_id"),
    ({"travel_km": -1}, "travel_km"),
    ({"customer_signed": "no"}, "customer_signed"),
])
def test_an_event_breaking_the_contract_is_refused_naming_the_field(bus, uow, repair_completed, changes, field):
    with pytest.raises(InvalidMessage) as refused:
        bus.handle(repair_completed(**changes))

    assert field in refused.value.errors["data"]
    assert uow.settlements.for_ticket("T-1001") == [] and uow.store.outbox == []


@pytest.mark.parametrize("changes, field", [
    ({"unit_cost": 12.5}, "unit_cost"),
    ({"unit_cost": "-1.00"}, "unit_cost"),
    ({"revision": 0}, "revision"),
    ({"effective_at": "yesterday"}, "effective_at"),
])
def test_a_price_event_breaking_the_contract_is_refused(bus, uow, changes, field):
    event = part_price_changed("PCB-100", "180.00", "260.00")

    with pytest.raises(InvalidMessage) as refused:
        bus.handle(event.with_data({**event.data, **changes}))

    assert field in refused.value.errors["data"]
    assert uow.prices.current() == []


def test_a_partner_dealers_report_is_settled_once_with_the_dealer_as_payee(priced, uow, repair_completed):
    reported = repair_completed(site="DLR-7", region="north")
    dealer = reported.__class__(**{**reported.__dict__, "source": "partner/acme"})

    assert priced.handle(dealer) is True
    assert priced.handle(repair_completed(site="DLR-7", region="north")) is True  # the same job again

    (announcement,) = posted(uow)
    assert (announcement.data["payee"], announcement.routing_key) == ("DLR-7", "SettlementPosted.north.DLR-7")


def test_the_sweep_settles_a_held_job_whose_price_came_in_meanwhile(bus, uow, repair_completed):
    """Two consumers: the price committed while the completion, not seeing it, held the job."""
    bus.handle(repair_completed(parts_used=[{"part_no": "PCB-100", "qty": 1}]))
    with uow:
        uow.prices.record(PartPrice(part_no="PCB-100", unit_cost=Decimal("180.00"), list_price=Decimal("260.00"),
                                    revision=1, effective_at=datetime(2026, 1, 1, tzinfo=timezone.utc)), NOW)
        uow.commit()
    sweep = settle_held_jobs(lambda: uow, Rules(schedules=load_default_schedule(), clock=lambda: NOW), event_writer())

    assert sweep(NOW) == 1
    assert sweep(NOW) == 0
    (announcement,) = posted(uow)
    assert announcement.data["totals"]["manufacturer"] == "240.00"  # 60.00 + 180.00
    assert announcement.routing_key == "SettlementPosted.east.SH-01" and announcement.causation_id is None
    assert uow.awaiting.list() == []
