"""Inventory owns the parts catalogue: unit cost from receipts, descriptions and list prices from a PUT,
and every change of what billing prices from is published as PartPriceChanged with a rising revision."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from inventory.bootstrap import event_writer
from inventory.service_layer import handlers
from inventory.service_layer.commands import PutPart, ReceiveStock

from fakes import FakeUnitOfWork

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def receive(uow, part_no, qty, cost, site="SH-01", at=T0):
    return handlers.receive_stock(ReceiveStock(site, part_no, qty, Decimal(cost)), uow, event_writer(),
                                  clock=lambda: at)


def put(uow, part_no, at=T0, **fields):
    command = PutPart(part_no, **{"description": "Drain pump", "category": "pump", **fields})
    return handlers.put_part(command, uow, event_writer(), clock=lambda: at)


def price_events(uow):
    return [event.data for event in uow.emitted("PartPriceChanged")]


def test_a_receipt_of_an_unknown_part_creates_its_entry_and_publishes_its_cost(uow):
    receive(uow, "PCB-NEW-1", 2, "35.00")

    part = uow.catalogue.get("PCB-NEW-1")
    assert (part.description, part.category, part.unit_cost, part.revision) == (
        "PCB-NEW-1", "uncategorised", Decimal("35.0000"), 1)
    [event] = uow.emitted("PartPriceChanged")
    assert event.routing_key == "PartPriceChanged.all.all"
    assert (event.subject, event.source) == ("PCB-NEW-1", "inventory")
    assert event.data == {
        "part_no": "PCB-NEW-1", "description": "PCB-NEW-1", "category": "uncategorised", "unit_cost": "35.00",
        "list_price": None, "returnable": False, "revision": 1, "effective_at": "2026-11-02T09:00:00Z",
    }


def test_unit_cost_is_the_moving_average_of_receipts_at_every_site(uow):
    receive(uow, "PUMP-1", 3, "10.00")
    receive(uow, "PUMP-1", 1, "14.00", site="BJ-02", at=T0 + timedelta(hours=1))

    assert uow.catalogue.get("PUMP-1").unit_cost == Decimal("11.0000")
    assert [(e["unit_cost"], e["revision"]) for e in price_events(uow)] == [("10.00", 1), ("11.00", 2)]


def test_a_receipt_at_the_same_cost_publishes_nothing_new(uow):
    receive(uow, "PUMP-1", 3, "10.00")
    receive(uow, "PUMP-1", 5, "10.00")

    assert len(price_events(uow)) == 1
    assert uow.catalogue.get("PUMP-1").revision == 1


def test_put_creates_then_updates_and_publishes_list_price_changes(uow):
    part, created = put(uow, "PUMP-1", list_price=Decimal("59.90"), returnable=True)
    assert created and part.revision == 1
    receive(uow, "PUMP-1", 2, "20.00")
    part, created = put(uow, "PUMP-1", list_price=Decimal("64.00"), returnable=True, superseded_by="PUMP-2")

    assert not created
    assert (part.superseded_by, part.unit_cost, part.list_price) == ("PUMP-2", Decimal("20.0000"), Decimal("64.00"))
    assert [(e["unit_cost"], e["list_price"], e["returnable"], e["revision"]) for e in price_events(uow)] == [
        ("0.00", "59.90", True, 1), ("20.00", "59.90", True, 2), ("20.00", "64.00", True, 3)]


def test_a_put_that_changes_nothing_published_is_not_told_again(uow):
    put(uow, "PUMP-1", list_price=Decimal("59.90"))
    put(uow, "PUMP-1", list_price=Decimal("59.90"))

    assert len(price_events(uow)) == 1


def test_a_receipt_that_fails_leaves_the_catalogue_and_outbox_untouched(uow):
    receive(uow, "PUMP-1", 1, "10.00")
    with pytest.raises(ValueError):
        receive(uow, "PUMP-1", 0, "99.00")

    assert uow.catalogue.get("PUMP-1").unit_cost == Decimal("10.0000")
    assert len(price_events(uow)) == 1
