"""Faulty-part custody: back from the engineer within 6 h, then to the supplier, followed up at 3, 7, 15
and 30 days (escalated from 30) until the outcome is in; each step told as FaultyPartReturned."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from aftersales_shared.timeutil import to_rfc3339
from inventory.bootstrap import event_writer
from inventory.domain.custody import CustodyStepRefused
from inventory.service_layer import custody, handlers
from inventory.service_layer.commands import PutPart
from ticket_events import repair_completed

from fakes import FakeUnitOfWork, fake_bus

DONE = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    handlers.put_part(PutPart("PCB-1", "Main board", "pcb", Decimal("300.00"), returnable=True), uow, event_writer())
    handlers.put_part(PutPart("BELT-2", "Belt", "belt", Decimal("9.00"), returnable=False), uow, event_writer())
    fake_bus(uow).handle(repair_completed("T-1", [("PCB-1", 1), ("BELT-2", 1)], completed_at=DONE))
    return uow


def at(hours=0, days=0):
    return lambda: DONE + timedelta(hours=hours, days=days)


def test_only_returnable_replaced_parts_are_expected_back_and_overdue_after_six_hours(uow):
    [part] = uow.custody.listed()
    assert (part.ticket_id, part.part_no, part.faulty_serial, part.status) == (
        "T-1", "PCB-1", "F-PCB-1", "awaiting_engineer")
    assert part.expected_by == DONE + timedelta(hours=6)
    assert uow.custody.overdue(DONE + timedelta(hours=5, minutes=59)) == []
    assert [p.id for p in uow.custody.overdue(DONE + timedelta(hours=6, minutes=1))] == [part.id]


def test_follow_ups_fire_on_days_3_7_15_and_30_once_each_and_30_escalates(uow):
    [part] = uow.custody.listed()
    custody.receive_from_engineer(part.id, uow, event_writer(), clock=at(hours=4))
    custody.ship_to_supplier(part.id, "Acme Boards", "RMA-77", uow, event_writer(), clock=at(days=1))
    shipped = DONE + timedelta(days=1)

    def run(days, hours=0):
        return custody.fire_follow_ups(lambda: uow, shipped + timedelta(days=days, hours=hours))

    assert run(2, 23) == 0
    assert run(3) == 1
    assert run(3, 1) == 0  # ran again: nothing fires twice
    assert run(7) == 1
    assert uow.custody.for_update(part.id).escalated_at is None
    assert run(31) == 2  # late run: day 15 and day 30 both catch up
    assert uow.custody.for_update(part.id).escalated_at == shipped + timedelta(days=31)
    fired = {f.day: f.fired_at for f in uow.custody.follow_ups_of(part.id)}
    assert fired == {3: shipped + timedelta(days=3), 7: shipped + timedelta(days=7),
                     15: shipped + timedelta(days=31), 30: shipped + timedelta(days=31)}


def test_an_outcome_stops_the_follow_ups_and_every_step_is_told(uow):
    [part] = uow.custody.listed()
    custody.receive_from_engineer(part.id, uow, event_writer(), clock=at(hours=2))
    custody.ship_to_supplier(part.id, "Acme Boards", "RMA-78", uow, event_writer(), clock=at(days=1))
    custody.record_outcome(part.id, "credited", uow, event_writer(), clock=at(days=5))

    assert custody.fire_follow_ups(lambda: uow, DONE + timedelta(days=60)) == 0
    told = uow.emitted("FaultyPartReturned")
    assert [(e.data["stage"], e.data["outcome"]) for e in told] == [
        ("received_from_engineer", None), ("shipped_to_supplier", None), ("supplier_outcome", "credited")]
    assert told[0].routing_key == "FaultyPartReturned.east.SH-01" and told[0].subject == "T-1"
    assert told[2].data == {"ticket_id": "T-1", "part_no": "PCB-1", "faulty_serial": "F-PCB-1", "site": "SH-01",
                            "region": "east", "stage": "supplier_outcome", "outcome": "credited",
                            "returned_at": to_rfc3339(DONE + timedelta(days=5))}


def test_steps_out_of_order_are_refused_and_change_nothing(uow):
    [part] = uow.custody.listed()
    with pytest.raises(CustodyStepRefused):
        custody.ship_to_supplier(part.id, "Acme", "RMA-1", uow, event_writer(), clock=at(hours=1))
    with pytest.raises(custody.UnknownFaultyPart):
        custody.receive_from_engineer("nope", uow, event_writer())

    assert uow.custody.for_update(part.id).status == "awaiting_engineer"
    assert uow.emitted("FaultyPartReturned") == []
