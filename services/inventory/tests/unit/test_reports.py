"""Slow stock and monthly use with a forecast, from the ledger."""
from datetime import date, datetime, timezone
from decimal import Decimal

from inventory.domain.stock import CONSUMPTION, RECEIPT, TRANSFER_OUT, Movement, StockLevel
from inventory.service_layer import reports

from fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def moved(uow, part_no, kind, change, at, site="SH-01"):
    uow.stock.movements.append(Movement(site, part_no, kind, change, 0, Decimal("10.00"), at=at,
                                        id=len(uow.stock.movements) + 1))


def test_dead_and_low_moving_stock_at_a_site():
    uow = FakeUnitOfWork()
    for part_no, on_hand in (("OLD-1", 4), ("SLOW-2", 10), ("FAST-3", 2), ("NONE-4", 0)):
        uow.stock.levels["SH-01", part_no] = StockLevel("SH-01", part_no, on_hand, 0, Decimal("10.0000"))
        moved(uow, part_no, RECEIPT, on_hand + 5, datetime(2026, 1, 5, tzinfo=timezone.utc))
    moved(uow, "OLD-1", CONSUMPTION, -1, datetime(2026, 6, 1, tzinfo=timezone.utc))   # before the window
    moved(uow, "SLOW-2", CONSUMPTION, -2, datetime(2026, 11, 1, tzinfo=timezone.utc))
    moved(uow, "FAST-3", TRANSFER_OUT, -5, datetime(2026, 11, 20, tzinfo=timezone.utc))

    found = reports.slow_stock_at("SH-01", 90, NOW, uow)

    assert [(s.part_no, s.status, s.issued_in_window, s.value) for s in found] == [
        ("OLD-1", "dead", 0, Decimal("40.00")), ("SLOW-2", "low_moving", 2, Decimal("100.00"))]
    assert found[0].last_issued_at == datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_monthly_use_and_a_three_month_moving_average_forecast():
    uow = FakeUnitOfWork()
    for month, used in ((7, 9), (8, 3), (9, 0), (10, 4), (11, 5)):
        for _ in range(used):
            moved(uow, "PUMP-1", CONSUMPTION, -1, datetime(2026, month, 10, tzinfo=timezone.utc))
    moved(uow, "PUMP-1", TRANSFER_OUT, -7, datetime(2026, 11, 12, tzinfo=timezone.utc))  # not use
    moved(uow, "PUMP-1", CONSUMPTION, -3, datetime(2026, 11, 12, tzinfo=timezone.utc), site="SH-02")

    found = reports.monthly_usage("SH-01", "PUMP-1", 4, None, NOW, uow)
    october = reports.monthly_usage("SH-01", "PUMP-1", 2, date(2026, 10, 1), NOW, uow)

    assert found.months == [("2026-08", 3), ("2026-09", 0), ("2026-10", 4), ("2026-11", 5)]
    assert found.forecast_next_month == Decimal("3.00")
    assert october.months == [("2026-09", 0), ("2026-10", 4)]
    assert october.forecast_next_month == Decimal("2.33")
