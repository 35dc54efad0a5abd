"""Service points hold stock against a deposit: what would pass it is refused, saying why; the monthly
reconciliation explains the stock value from the ledger."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from inventory.bootstrap import event_writer
from inventory.domain.reservations import BACKORDERED
from inventory.domain.sites import DepositExceeded
from inventory.service_layer import handlers
from inventory.service_layer.commands import AdjustStock, PutSite, ReceiveStock, ShipTransfer
from ticket_events import ticket_created

from fakes import FakeUnitOfWork, fake_bus

OCT = datetime(2026, 10, 20, 9, 0, tzinfo=timezone.utc)
NOV = datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    handlers.put_site(PutSite("SH-01", "east", Decimal("500.00")), uow)
    handlers.put_site(PutSite("SH-02", "east", None), uow)
    return uow


def receive(uow, site, part_no, qty, cost, at=NOV):
    return handlers.receive_stock(ReceiveStock(site, part_no, qty, Decimal(cost)), uow, event_writer(),
                                  clock=lambda: at)


def test_a_receipt_that_would_pass_the_deposit_is_refused_with_the_numbers(uow):
    receive(uow, "SH-01", "PUMP-1", 10, "40.00")

    with pytest.raises(DepositExceeded) as refused:
        receive(uow, "SH-01", "PUMP-1", 3, "40.00")

    assert str(refused.value) == "SH-01 holds 400.00 of stock; 120.00 more would pass its deposit of 500.00"
    assert uow.stock.get("SH-01", "PUMP-1").on_hand == 10
    receive(uow, "SH-02", "PUMP-1", 100, "40.00")  # no deposit, no limit


def test_a_transfer_that_would_pass_the_deposit_is_refused_and_the_ticket_backordered_with_the_reason(uow):
    receive(uow, "SH-01", "PUMP-1", 10, "40.00")
    receive(uow, "SH-02", "BELT-2", 10, "30.00")

    with pytest.raises(DepositExceeded):
        handlers.ship_transfer(ShipTransfer("BELT-2", 4, "SH-02", "SH-01"), uow)
    created = ticket_created([("BELT-2", 4)], site="SH-01")
    fake_bus(uow).handle(created)

    assert uow.transfers.transfers == {}
    assert uow.stock.get("SH-02", "BELT-2").on_hand == 10
    assert uow.reservations.for_ticket(created.data["ticket_id"]).status == BACKORDERED
    [failed] = uow.emitted("PartReservationFailed")
    assert failed.data["reason"] == ("transfer refused: SH-01 holds 400.00 of stock; 120.00 more would pass "
                                     "its deposit of 500.00")


def test_parts_in_transit_count_against_the_deposit_of_where_they_go(uow):
    receive(uow, "SH-02", "BELT-2", 20, "30.00")
    handlers.ship_transfer(ShipTransfer("BELT-2", 10, "SH-02", "SH-01"), uow)

    with pytest.raises(DepositExceeded):
        receive(uow, "SH-01", "PUMP-1", 7, "40.00")  # 300.00 on its way + 280.00 > 500.00


def test_the_monthly_reconciliation_explains_the_closing_value(uow):
    receive(uow, "SH-01", "PUMP-1", 5, "40.00", at=OCT)
    receive(uow, "SH-01", "PUMP-1", 2, "47.00", at=NOV)            # average now 42.00
    handlers.adjust_stock(AdjustStock("SH-01", "PUMP-1", -1, "dropped"), uow, clock=lambda: NOV)
    handlers.ship_transfer(ShipTransfer("PUMP-1", 2, "SH-01", "SH-02"), uow, clock=lambda: NOV)

    october = handlers.reconcile_deposit("SH-01", date(2026, 10, 1), uow)
    november = handlers.reconcile_deposit("SH-01", date(2026, 11, 1), uow)

    assert (october.opening_value, october.closing_value) == (Decimal("0.00"), Decimal("200.00"))
    assert november.opening_value == Decimal("200.00")
    assert november.movements == {"receipt": Decimal("94.00"), "adjustment": Decimal("-42.00"),
                                  "transfer_out": Decimal("-84.00")}
    assert november.closing_value == Decimal("168.00") == 4 * uow.stock.get("SH-01", "PUMP-1").unit_cost
    assert (november.deposit, november.headroom, november.within_deposit) == (
        Decimal("500.00"), Decimal("332.00"), True)
    assert handlers.reconcile_deposit("NOPE-1", date(2026, 11, 1), uow) is None
