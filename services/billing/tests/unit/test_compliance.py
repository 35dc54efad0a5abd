"""Flags on jobs that break the rules, and the deductions the penalty rules in force book for them."""
from datetime import datetime, timezone

import pytest

from aftersales_shared.bus import EventBus
from aftersales_shared.envelope import new_envelope
from aftersales_shared.testing.contract import assert_conforms
from aftersales_shared.testing.fakes import InMemoryStore
from aftersales_shared.timeutil import to_rfc3339

from billing.bootstrap import event_writer
from billing.domain.fees import FeeSchedules
from billing.entrypoints.events import INCOMING_SCHEMAS
from billing.service_layer.handlers import Rules, event_handlers
from billing_events import callback_completed, catalogue_events
from fakes import FakeUnitOfWork

NOV = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
DEC = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)


def version(number, since, missing_signature="20.00", failed_callback="30.00", repeat_clawback=True,
            sla_breach="0.00"):
    return {"version": number, "effective_from": since, "hourly_rate": "120.00", "minimum_call_out": "80.00",
            "warranty_labour": {"default": {"onsite": "60.00", "depot": "45.00", "mail_in": "40.00",
                                            "install": "50.00"}},
            "penalties": {"missing_signature": missing_signature, "failed_callback": failed_callback,
                          "repeat_clawback": repeat_clawback, "sla_breach": sla_breach}}


SCHEDULES = FeeSchedules.from_mapping({"currency": "CNY", "versions": [
    version(1, "2020-01-01T00:00:00Z"),
    version(2, "2026-12-01T00:00:00Z", missing_signature="50.00", sla_breach="15.00"),
]})


def make_bus(schedules=SCHEDULES):
    uow = FakeUnitOfWork(InMemoryStore())
    bus = EventBus(uow, event_handlers(Rules(schedules=schedules, clock=lambda: NOW), event_writer()),
                   INCOMING_SCHEMAS)
    for event in catalogue_events():
        bus.handle(event)
    return bus, uow


@pytest.fixture
def bus_and_uow():
    return make_bus()


def penalties(uow):
    return [e.data for e in uow.store.outbox
            if e.type == "SettlementPosted" and e.data["lines"][0]["kind"] in ("penalty", "adjustment")]


def test_a_job_without_the_customers_signature_is_flagged_and_penalised(bus_and_uow, repair_completed):
    bus, uow = bus_and_uow

    bus.handle(repair_completed(customer_signed=False))

    (flag,) = uow.flags.for_ticket("T-1001")
    assert flag.kind == "missing_signature"
    (penalty,) = penalties(uow)
    assert penalty["lines"] == [{"kind": "penalty", "description": "Penalty: no customer signature on ticket T-1001",
                                 "part_no": None, "qty": 1, "unit_amount": "-20.00", "amount": "-20.00",
                                 "payer": "manufacturer"}]
    assert penalty["totals"] == {"customer": "0.00", "manufacturer": "-20.00"}
    assert (penalty["payee"], penalty["ticket_id"]) == ("SH-01", "T-1001")
    # On the statement open when it was booked (December), not the job's November.
    assert penalty["period"] == "2026-12"
    assert uow.flags.for_ticket("T-1001")[0].penalty_settlement_id == penalty["settlement_id"]


def test_a_signed_job_with_a_good_callback_is_not_flagged(bus_and_uow, repair_completed):
    bus, uow = bus_and_uow

    bus.handle(repair_completed())
    bus.handle(callback_completed("T-1001", "done"))

    assert uow.flags.list() == [] and penalties(uow) == []


def test_the_penalty_rules_in_force_when_the_job_was_done_apply(bus_and_uow, repair_completed):
    bus, uow = bus_and_uow

    bus.handle(repair_completed(ticket_id="T-NOV", work_order_id="WO-NOV", customer_signed=False, completed_at=NOV))
    bus.handle(repair_completed(ticket_id="T-DEC", work_order_id="WO-DEC", customer_signed=False, completed_at=DEC))

    assert {p["ticket_id"]: p["totals"]["manufacturer"] for p in penalties(uow)} == {
        "T-NOV": "-20.00", "T-DEC": "-50.00"}


@pytest.mark.parametrize("callback_first", [True, False])
def test_a_failed_callback_is_penalised_once_whichever_event_comes_first(repair_completed, callback_first):
    bus, uow = make_bus()
    events = [callback_completed("T-1001"), repair_completed()]
    for event in events if callback_first else reversed(events):
        bus.handle(event)
    bus.handle(callback_completed("T-1001"))  # a second report of the failure

    (flag,) = uow.flags.for_ticket("T-1001")
    assert flag.kind == "failed_callback" and "3 attempt(s): customer unreachable" in flag.detail
    (penalty,) = penalties(uow)
    assert penalty["totals"]["manufacturer"] == "-30.00"


@pytest.mark.parametrize("first_job_first", [True, False])
def test_a_repeat_repair_claws_back_the_first_jobs_labour_fee(repair_completed, first_job_first):
    bus, uow = make_bus()
    first = repair_completed(ticket_id="T-1", work_order_id="WO-1", completed_at=NOV)
    repeat = repair_completed(ticket_id="T-2", work_order_id="WO-2", completed_at=DEC, repeat_of="T-1",
                              parts_used=[])
    for event in [first, repeat] if first_job_first else [repeat, first]:
        bus.handle(event)

    (flag,) = uow.flags.for_ticket("T-2")
    assert (flag.kind, flag.repeat_of) == ("repeat_repair", "T-1")
    (clawback,) = penalties(uow)
    # The first job's labour fee was 60.00 (washing machine on site, in warranty); its parts are not clawed back.
    assert clawback["lines"][0]["kind"] == "adjustment"
    assert clawback["lines"][0]["amount"] == "-60.00"
    assert "T-1" in clawback["lines"][0]["description"] and "T-2" in clawback["lines"][0]["description"]
    assert (clawback["ticket_id"], clawback["payee"], clawback["period"]) == ("T-1", "SH-01", "2026-12")
    assert_conforms(next(e for e in uow.store.outbox
                         if e.data.get("settlement_id") == clawback["settlement_id"]).to_dict())


def test_without_clawback_in_the_rules_a_repeat_is_flagged_only(repair_completed):
    schedules = FeeSchedules.from_mapping({"currency": "CNY", "versions": [
        version(1, "2020-01-01T00:00:00Z", repeat_clawback=False)]})
    bus, uow = make_bus(schedules)

    bus.handle(repair_completed(ticket_id="T-1", work_order_id="WO-1"))
    bus.handle(repair_completed(ticket_id="T-2", work_order_id="WO-2", repeat_of="T-1"))

    assert [f.kind for f in uow.flags.list()] == ["repeat_repair"]
    assert penalties(uow) == []


def sla_breached(ticket_id, breached_at, clock="resolve"):
    return new_envelope(type="SlaBreached", source="dispatch", subject=ticket_id, region="east", site="SH-01",
                        correlation_id=ticket_id, time=breached_at,
                        data={"ticket_id": ticket_id, "work_order_id": "WO-1001", "site": "SH-01", "region": "east",
                              "clock": clock, "deadline": "2026-11-20T08:00:00Z",
                              "breached_at": to_rfc3339(breached_at)})


def test_a_missed_deadline_costs_what_the_rules_in_force_then_say(bus_and_uow, repair_completed):
    bus, uow = bus_and_uow
    bus.handle(sla_breached("T-1001", NOV))  # version 1: flagged, no deduction
    bus.handle(repair_completed())
    bus.handle(repair_completed(ticket_id="T-2", work_order_id="WO-2", completed_at=DEC))
    bus.handle(sla_breached("T-2", DEC, clock="hard_cap"))  # version 2: 15.00
    bus.handle(sla_breached("T-2", DEC, clock="respond"))  # one flag per ticket

    assert [f.kind for f in uow.flags.list()] == ["sla_breach", "sla_breach"]
    assert "hard_cap deadline" in uow.flags.for_ticket("T-2")[0].detail
    assert [(p["ticket_id"], p["totals"]["manufacturer"]) for p in penalties(uow)] == [("T-2", "-15.00")]
