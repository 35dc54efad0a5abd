"""Monthly deposit reconciliation (押金对账) of one service point, from its stock ledger.

The value of stock a site holds moves only through its ledger: receipts and transfers in at what they
cost, consumption, transfers out and adjustments at the moving-average cost of the time. So the opening
value plus the month's movements is the closing value, and the closing value is set against the deposit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from .money import money
from .stock import MOVEMENT_KINDS


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=timezone.utc)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


@dataclass(frozen=True)
class Reconciliation:
    site: str
    month: str
    deposit: Decimal | None
    opening_value: Decimal
    # Value moved in the month by kind of movement (receipt, consumption, transfer_out, ...).
    movements: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, site: str, month: date, deposit: Decimal | None, opening: Decimal,
           by_kind: dict[str, Decimal]) -> "Reconciliation":
        moved = {kind: money(by_kind.get(kind, Decimal(0))) for kind in MOVEMENT_KINDS if kind in by_kind}
        return cls(site, f"{month:%Y-%m}", deposit, money(opening), moved)

    @property
    def closing_value(self) -> Decimal:
        return self.opening_value + sum(self.movements.values(), Decimal(0))

    @property
    def headroom(self) -> Decimal | None:
        return None if self.deposit is None else self.deposit - self.closing_value

    @property
    def within_deposit(self) -> bool:
        return self.deposit is None or self.closing_value <= self.deposit
