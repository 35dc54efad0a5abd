from decimal import Decimal

import pytest

from inventory.domain.stock import InsufficientStock, StockLevel


def test_first_receipt_sets_the_unit_cost():
    level = StockLevel("SH-01", "PUMP-1")
    level.receive(4, Decimal("35.50"))
    assert (level.on_hand, level.unit_cost) == (4, Decimal("35.5000"))


def test_later_receipts_move_the_average_cost_by_quantity():
    level = StockLevel("SH-01", "PUMP-1")
    level.receive(4, Decimal("10.00"))
    level.receive(2, Decimal("16.00"))
    assert level.unit_cost == Decimal("12.0000")
    level.receive(1, Decimal("0.01"))
    # (6 * 12.00 + 0.01) / 7 = 10.287142..., kept to four places
    assert (level.on_hand, level.unit_cost) == (7, Decimal("10.2871"))


def test_receipt_refuses_nonsense():
    level = StockLevel("SH-01", "PUMP-1")
    with pytest.raises(ValueError):
        level.receive(0, Decimal("1.00"))
    with pytest.raises(ValueError):
        level.receive(1, Decimal("-1.00"))
    assert level == StockLevel("SH-01", "PUMP-1")


def test_available_is_on_hand_less_reserved_and_never_negative():
    assert StockLevel("SH-01", "PUMP-1", on_hand=5, reserved=2).available == 3
    assert StockLevel("SH-01", "PUMP-1", on_hand=1, reserved=2).available == 0


def test_holding_more_than_available_changes_nothing():
    level = StockLevel("SH-01", "PUMP-1", on_hand=3, reserved=2)
    with pytest.raises(InsufficientStock):
        level.hold(2)
    assert level.reserved == 2


def test_taking_more_than_on_hand_empties_the_shelf_without_going_negative():
    level = StockLevel("SH-01", "PUMP-1", on_hand=1)
    level.take(3)
    assert level.on_hand == 0


def test_releasing_more_than_reserved_stops_at_zero():
    level = StockLevel("SH-01", "PUMP-1", on_hand=3, reserved=1)
    level.release(2)
    assert level.reserved == 0
