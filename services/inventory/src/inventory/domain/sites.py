"""Service points (网点) and the parts travelling between them.

A service point holds parts against a deposit (配件押金): the value of the stock on its shelves and on
its way to it may not pass the deposit, so a receipt or transfer that would is refused, saying why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .money import money

IN_TRANSIT = "in_transit"
RECEIVED = "received"


class DepositExceeded(Exception):
    def __init__(self, site: str, held: Decimal, adding: Decimal, deposit: Decimal):
        super().__init__(
            f"{site} holds {money(held)} of stock; {money(adding)} more would pass its deposit of {money(deposit)}")
        self.site = site


@dataclass
class Site:
    site: str
    region: str | None = None
    deposit: Decimal | None = None

    def make_room(self, held: Decimal, adding: Decimal) -> None:
        """Refuses stock worth ``adding`` when the site already holds ``held`` against a smaller deposit."""
        if self.deposit is not None and adding > 0 and held + adding > self.deposit:
            raise DepositExceeded(self.site, held, adding, self.deposit)


@dataclass
class Transfer:
    id: str
    part_no: str
    qty: int
    from_site: str
    to_site: str
    unit_cost: Decimal
    ticket_id: str | None
    status: str
    shipped_at: datetime
    received_at: datetime | None = None

    @property
    def value(self) -> Decimal:
        return self.qty * self.unit_cost

    def arrive(self, now: datetime) -> bool:
        """False when it had already arrived: a transfer is received once."""
        if self.status != IN_TRANSIT:
            return False
        self.status, self.received_at = RECEIVED, now
        return True
